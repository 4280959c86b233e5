#!/usr/bin/env bash
# Runs the ceph/s3-tests compatibility suite against a freshly started local Strata and prints a
# per-area summary. See test/conformance/README.md for the setup (fetching s3-tests and boto, Debian packages).
#
# usage: test/conformance/run.sh [options] S3TESTS_DIR BOTO_PYTHONPATH [OUTDIR]
#
#   S3TESTS_DIR      a checkout of ceph/s3-tests (never committed here)
#   BOTO_PYTHONPATH  directory (or ':'-list) holding botocore 1.42.97, boto3 1.42.97, s3transfer 0.16.1
#   OUTDIR           where s3tests.conf, junit.xml, pytest.log, server.log and summary.txt go
#                    (default: a new /tmp/strata-s3-tests.XXXXXX)
#
# options:
#   -k EXPR          pytest -k selection (test names)
#   -m EXPR          extra marker expression, ANDed with the default exclusions
#   --markers EXPR   replace the default marker expression entirely
#   --files "F ..."  test files relative to S3TESTS_DIR (default: s3tests/functional/test_s3.py)
#   --timeout SECS   per-test timeout when pytest-timeout is installed (default 180; 0 = none)
#   --strata-dir DIR the Strata checkout to build and run (default: this script's checkout)
#   --no-build       skip `npm run build` (use the existing dist/)
#   --port N         port to listen on (default: a free one)
#   --keep-data      keep the temporary drive directories
#   --baseline FILE  an earlier junit.xml: the summary also lists tests whose outcome changed
#   --cleanup-fallback  load cleanup_fallback.py: the suite's per-test bucket cleanup falls back to
#                    ListObjectsV2 when ListObjectVersions fails (diagnostic only, see that file)
#   -- ARGS...       anything after -- goes to pytest unchanged
#
# environment:
#   PYTHON (default /usr/bin/python3: Debian's interpreter, where the python3-* packages are)
#   S3TESTS_ROOT_USER / S3TESTS_ROOT_PASSWORD: Strata root keys (defaults below)
#   S3TESTS_{ALT,TENANT}_{ACCESS,SECRET}_KEY: keys for the suite's alt/tenant users (default: run.sh
#                    makes them and passes them in STRATA_EXTRA_USERS; root's if the server refuses them)
#   S3TESTS_IAM_{ACCESS,SECRET}_KEY: keys for the IAM sections (default: root's)
#   S3TESTS_{ALT,TENANT}_{USER_ID,DISPLAY_NAME}: their owner ID / display name (default: what the
#                    server reports to their keys in ListBuckets)
#   STRATA_LOG_LEVEL (default warn), and any other STRATA_* variable, reach the server.
#
# Exit status: pytest's (0 all passed, 1 some failed, 2+ the run itself broke), or 2 when the
# server could not be started.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
strata_dir="$(cd "$script_dir/../.." && pwd)"
py="${PYTHON:-/usr/bin/python3}"

# Markers of features outside what Strata claims (issue 3): SSE-S3/SSE-C/KMS, lifecycle execution,
# cloud tiering, bucket logging, IAM/STS, S3 Select, SNS, website, ownership controls, append, and
# RGW-specific behaviour that AWS itself does not have (fails_on_aws). fails_on_rgw and
# fails_on_dbstore stay in: they describe radosgw's gaps, not ours.
default_markers="not fails_on_aws \
and not lifecycle_expiration and not lifecycle_transition and not cloud_transition and not cloud_restore \
and not target_by_bucket and not bucket_logging and not bucket_logging_cleanup \
and not fails_without_logging_rollover and not s3select and not sns and not s3website \
and not s3website_routing_rules and not s3website_redirect_location and not object_ownership \
and not appendobject and not storage_class and not iam_account and not iam_cross_account \
and not iam_role and not iam_tenant and not iam_user and not user_policy and not role_policy \
and not group_policy and not group and not session_policy and not abac_test and not test_of_sts \
and not webidentity_test and not token_claims_trust_policy_test \
and not token_principal_tag_role_policy_test and not token_request_tag_trust_policy_test \
and not token_resource_tags_test and not token_role_tags_test and not token_tag_keys_test"

kexpr=""
extra_markers=""
markers=""
files="s3tests/functional/test_s3.py"
timeout=180
build=1
port=""
keep_data=0
cleanup_fallback=0
baseline=""
pytest_extra=()
positional=()

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    -k) kexpr="$2"; shift 2 ;;
    -m) extra_markers="$2"; shift 2 ;;
    --markers) markers="$2"; shift 2 ;;
    --files) files="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --strata-dir) strata_dir="$(cd "$2" && pwd)"; shift 2 ;;
    --no-build) build=0; shift ;;
    --port) port="$2"; shift 2 ;;
    --keep-data) keep_data=1; shift ;;
    --cleanup-fallback) cleanup_fallback=1; shift ;;
    --baseline) baseline="$(realpath "$2")"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; pytest_extra=("$@"); break ;;
    -*) echo "run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) positional+=("$1"); shift ;;
  esac
done

if [[ ${#positional[@]} -lt 2 || ${#positional[@]} -gt 3 ]]; then
  usage >&2
  exit 2
fi
s3tests_dir="$(cd "${positional[0]}" && pwd)"
boto_path="${positional[1]}"
if [[ ${#positional[@]} -eq 3 ]]; then
  out_dir="${positional[2]}"
  mkdir -p "$out_dir"
  out_dir="$(cd "$out_dir" && pwd)"
else
  out_dir="$(mktemp -d /tmp/strata-s3-tests.XXXXXX)"
fi

[[ -f "$s3tests_dir/s3tests/functional/test_s3.py" ]] || {
  echo "run.sh: $s3tests_dir is not an s3-tests checkout (no s3tests/functional/test_s3.py)" >&2
  exit 2
}
[[ -z "$markers" ]] && markers="$default_markers"
[[ -n "$extra_markers" ]] && markers="($markers) and ($extra_markers)"

export PYTHONPATH="$boto_path${PYTHONPATH:+:$PYTHONPATH}"
# python3-awscrt (if installed) makes botocore switch signers and breaks the IAM/STS clients.
export BOTO_DISABLE_CRT=true
export AWS_DEFAULT_REGION="${STRATA_REGION:-us-east-1}"
# Keep the user's ~/.aws out of it.
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN || true

"$py" - <<'EOF' || { echo "run.sh: python modules missing (see test/conformance/README.md)" >&2; exit 2; }
import boto3, botocore, s3transfer, pytest, munch, isodate, pytz, requests, dateutil, lxml, yaml, httplib2
print(f"python: boto3 {boto3.__version__} botocore {botocore.__version__} s3transfer {s3transfer.__version__} "
      f"pytest {pytest.__version__} ({botocore.__file__})")
EOF

root_user="${S3TESTS_ROOT_USER:-s3testsroot}"
root_password="${S3TESTS_ROOT_PASSWORD:-s3tests-root-secret-0123456789}"
region="${STRATA_REGION:-us-east-1}"

# The suite's alt and tenant users. Unless given, run.sh makes two key pairs and passes them to
# the server in STRATA_EXTRA_USERS (static extra users, until IAM exists). A server that does not
# know them (older builds) is detected below, and the suite then gets root's keys for them.
alt_key="${S3TESTS_ALT_ACCESS_KEY:-s3testsalt}"
alt_secret="${S3TESTS_ALT_SECRET_KEY:-s3tests-alt-secret-0123456789}"
tenant_key="${S3TESTS_TENANT_ACCESS_KEY:-s3teststenant}"
tenant_secret="${S3TESTS_TENANT_SECRET_KEY:-s3tests-tenant-secret-0123456789}"
extra_users=()
[[ -z "${S3TESTS_ALT_ACCESS_KEY:-}" ]] && extra_users+=("$alt_key:$alt_secret")
[[ -z "${S3TESTS_TENANT_ACCESS_KEY:-}" ]] && extra_users+=("$tenant_key:$tenant_secret")
if [[ ${#extra_users[@]} -gt 0 ]]; then
  joined="$(IFS=,; echo "${extra_users[*]}")"
  export STRATA_EXTRA_USERS="${STRATA_EXTRA_USERS:+$STRATA_EXTRA_USERS,}$joined"
fi

if [[ $build -eq 1 ]]; then
  echo "== npm run build ($strata_dir)"
  if ! (cd "$strata_dir" && npm run --silent build); then
    # tsc still emits JavaScript on type errors; while features are landing that is worth measuring.
    if [[ -f "$strata_dir/dist/main.js" ]]; then
      echo "run.sh: WARNING: the build reported errors (above); running the JavaScript tsc emitted" >&2
    else
      echo "run.sh: the build failed" >&2
      exit 2
    fi
  fi
fi

if [[ -z "$port" ]]; then
  port="$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
fi

data_dir="$(mktemp -d /tmp/strata-s3-tests-data.XXXXXX)"
server_pid=""
cleanup() {
  local rc=$?
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [[ $keep_data -eq 0 ]]; then rm -rf "$data_dir"; else echo "drives kept in $data_dir"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The built-in KMS with a fresh root secret per run; the suite's SSE-C tests speak plain HTTP.
kms_secret="s3tests:$(head -c 32 /dev/urandom | base64)"

echo "== starting Strata on 127.0.0.1:$port (drives $data_dir/d{1...4}, log $out_dir/server.log)"
(
  cd "$strata_dir"
  STRATA_ROOT_USER="$root_user" STRATA_ROOT_PASSWORD="$root_password" STRATA_REGION="$region" \
    STRATA_LOG_LEVEL="${STRATA_LOG_LEVEL:-warn}" \
    STRATA_KMS_SECRET_KEY="$kms_secret" STRATA_SSEC_ALLOW_HTTP=1 \
    exec node bin/strata.js server --address "127.0.0.1:$port" "$data_dir/d{1...4}"
) >"$out_dir/server.log" 2>&1 &
server_pid=$!

# Wait until it answers HTTP, and read the owner it reports (the suite compares owner IDs and names).
owner="$(
  S3T_PORT="$port" S3T_KEY="$root_user" S3T_SECRET="$root_password" S3T_REGION="$region" S3T_PID="$server_pid" \
    S3T_ALT="$alt_key:$alt_secret" S3T_TENANT="$tenant_key:$tenant_secret" \
    "$py" - <<'EOF'
import os, sys, time
import boto3
from botocore.config import Config

port, pid, region = os.environ["S3T_PORT"], int(os.environ["S3T_PID"]), os.environ["S3T_REGION"]

def client(key, secret):
    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name=region,
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=10))

root = client(os.environ["S3T_KEY"], os.environ["S3T_SECRET"])
deadline = time.time() + 60
while True:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("server exited during startup")
    try:
        owner = root.list_buckets().get("Owner") or {}
        break
    except Exception as err:  # not up yet
        if time.time() > deadline:
            sys.exit(f"server did not answer ListBuckets within 60 s: {err}")
        time.sleep(0.2)
fields = [owner.get("ID", ""), owner.get("DisplayName", "")]
# Do the alt and tenant keys work? Then also report the owner the server gives them.
for var in ("S3T_ALT", "S3T_TENANT"):
    key, secret = os.environ[var].split(":", 1)
    try:
        o = client(key, secret).list_buckets().get("Owner") or {}
        fields += ["ok", o.get("ID", ""), o.get("DisplayName", "")]
    except Exception as err:
        print(f"{var[4:].lower()} key {key} refused: {err}", file=sys.stderr)
        fields += ["refused", "", ""]
print("|".join(fields))
EOF
)" || {
  echo "run.sh: Strata did not start; last lines of $out_dir/server.log:" >&2
  tail -n 30 "$out_dir/server.log" >&2
  exit 2
}
IFS="|" read -r owner_id owner_name alt_ok alt_id alt_name tenant_ok tenant_id tenant_name <<<"$owner"

# The KMS keys the encryption tests name ([s3 main] kms_keyid, kms_keyid2 defaults).
for kms_key in testkey-1 testkey-2; do
  (cd "$strata_dir" && STRATA_ENDPOINT="http://127.0.0.1:$port" STRATA_ROOT_USER="$root_user" \
    STRATA_ROOT_PASSWORD="$root_password" STRATA_REGION="$region" \
    node bin/strata.js admin kms key create "$kms_key" >/dev/null) || {
    echo "run.sh: could not create KMS key $kms_key" >&2
    exit 2
  }
done
[[ -n "$owner_id" ]] || owner_id="strata-owner"
[[ -n "$owner_name" ]] || owner_name="$owner_id"
if [[ "$alt_ok" != ok ]]; then
  echo "== the server refused the alt key: the suite's alt user gets root's keys" >&2
  alt_key="$root_user" alt_secret="$root_password" alt_id="$owner_id" alt_name="$owner_name"
fi
if [[ "$tenant_ok" != ok ]]; then
  echo "== the server refused the tenant key: the suite's tenant user gets root's keys" >&2
  tenant_key="$root_user" tenant_secret="$root_password" tenant_id="$owner_id" tenant_name="$owner_name"
fi
echo "== Strata is up (owner ID $owner_id, display name $owner_name; alt key $alt_key owner ${alt_id:-?}; tenant key $tenant_key owner ${tenant_id:-?})"

api_name=""
[[ "$region" != "us-east-1" ]] && api_name="$region"
conf="$out_dir/s3tests.conf"
sed \
  -e "s|@HOST@|127.0.0.1|g" \
  -e "s|@PORT@|$port|g" \
  -e "s|@API_NAME@|$api_name|g" \
  -e "s|@MAIN_USER_ID@|$owner_id|g" \
  -e "s|@MAIN_DISPLAY_NAME@|$owner_name|g" \
  -e "s|@MAIN_ACCESS_KEY@|$root_user|g" \
  -e "s|@MAIN_SECRET_KEY@|$root_password|g" \
  -e "s|@ALT_USER_ID@|${S3TESTS_ALT_USER_ID:-${alt_id:-$owner_id}}|g" \
  -e "s|@ALT_DISPLAY_NAME@|${S3TESTS_ALT_DISPLAY_NAME:-${alt_name:-$owner_name}}|g" \
  -e "s|@ALT_ACCESS_KEY@|$alt_key|g" \
  -e "s|@ALT_SECRET_KEY@|$alt_secret|g" \
  -e "s|@TENANT_USER_ID@|${S3TESTS_TENANT_USER_ID:-${tenant_id:-$owner_id}}|g" \
  -e "s|@TENANT_DISPLAY_NAME@|${S3TESTS_TENANT_DISPLAY_NAME:-${tenant_name:-$owner_name}}|g" \
  -e "s|@TENANT_ACCESS_KEY@|$tenant_key|g" \
  -e "s|@TENANT_SECRET_KEY@|$tenant_secret|g" \
  -e "s|@IAM_ACCESS_KEY@|${S3TESTS_IAM_ACCESS_KEY:-$root_user}|g" \
  -e "s|@IAM_SECRET_KEY@|${S3TESTS_IAM_SECRET_KEY:-$root_password}|g" \
  "$script_dir/s3tests.conf.template" >"$conf"
if grep -q '@[A-Z_]*@' "$conf"; then
  echo "run.sh: unfilled placeholders in $conf:" >&2
  grep -n '@[A-Z_]*@' "$conf" >&2
  exit 2
fi
export S3TEST_CONF="$conf"

pytest_args=(-m "$markers" -p no:cacheprovider -o junit_family=xunit2 -o junit_logging=no
  --junitxml="$out_dir/junit.xml" -q -rN --tb=short)
[[ -n "$kexpr" ]] && pytest_args+=(-k "$kexpr")
if [[ "$timeout" != "0" ]] && "$py" -c 'import pytest_timeout' 2>/dev/null; then
  pytest_args+=(--timeout="$timeout")
fi
read -r -a file_args <<<"$files"
if [[ $cleanup_fallback -eq 1 ]]; then
  export PYTHONPATH="$script_dir:$PYTHONPATH"
  pytest_args+=(-p cleanup_fallback)
  echo "== NOTE: --cleanup-fallback: bucket cleanup falls back to ListObjectsV2 (diagnostic run)"
fi

echo "== pytest ${file_args[*]} -m '$markers'${kexpr:+ -k '$kexpr'} (log $out_dir/pytest.log)"
start=$(date +%s)
set +e
(cd "$s3tests_dir" && "$py" -m pytest "${file_args[@]}" "${pytest_args[@]}" "${pytest_extra[@]}") \
  >"$out_dir/pytest.log" 2>&1
pytest_rc=$?
set -e
elapsed=$(($(date +%s) - start))
tail -n 1 "$out_dir/pytest.log"
echo "== pytest exit $pytest_rc after ${elapsed}s"

if [[ -f "$out_dir/junit.xml" ]]; then
  summary_args=("$out_dir/junit.xml" --json "$out_dir/summary.json")
  [[ -n "$baseline" ]] && summary_args+=(--baseline "$baseline")
  "$py" "$script_dir/summarize.py" "${summary_args[@]}" | tee "$out_dir/summary.txt"
else
  echo "run.sh: no junit.xml; see $out_dir/pytest.log" >&2
  tail -n 40 "$out_dir/pytest.log" >&2
fi
echo "== results in $out_dir (pytest ${elapsed}s)"
exit "$pytest_rc"
