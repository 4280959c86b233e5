import type { HelpTopic } from './parse-command.js';

const SERVER = `Usage: strata server [--address HOST:PORT] [--parity N] [--region R] [--domain D]
                     [--certs-dir DIR] DRIVE...

Starts the S3 server on DRIVE directories (created if missing) forming one
erasure set of 1 to 16 drives. DRIVE may use MinIO-style ranges, expanded by
strata (quote them so the shell leaves them alone):
  ./data/drive{1...4}        ./data/drive1 ... ./data/drive4
  /mnt/disk{1...2}/d{a...b}  /mnt/disk1/da /mnt/disk1/db /mnt/disk2/da /mnt/disk2/db

Options (flags win over environment variables):
  --address HOST:PORT  listen address; :PORT is every interface   STRATA_ADDRESS  (default :9000)
  --parity N           parity drives, at most half the drives       STRATA_PARITY   (default by set size:
                                                                     1 drive 0, 2-3 1, 4-5 2, 6-7 3, 8-16 4)
  --region R           region reported to clients and signed in     STRATA_REGION   (default us-east-1)
  --domain D           virtual-host domain (bucket.D), repeatable   STRATA_DOMAIN   (comma-separated)
  --certs-dir DIR      serve HTTPS (TLS 1.2+) on the address with   STRATA_CERTS_DIR
                       DIR/public.crt and DIR/private.key (PEM; the certificate may
                       carry its chain), plus DIR/<domain>/public.crt|private.key
                       chosen by SNI; files are reloaded when they change
  DRIVE...             drive directories                            STRATA_DRIVES   (space-separated)

Environment only:
  STRATA_ROOT_USER      root access key, at least 3 characters      (default strataadmin)
  STRATA_ROOT_PASSWORD  root secret key, at least 8 characters      (default strataadmin)
  STRATA_LOG_LEVEL      fatal, error, warn, info, debug, trace or silent (default info)
  STRATA_HTTP_ADDRESS   also serve plain HTTP on this HOST:PORT (e.g. next to HTTPS)
  STRATA_SHUTDOWN_TIMEOUT_SECONDS  on SIGTERM, seconds in-flight requests get to
                        finish before they are cut (default 30)
  STRATA_PROMETHEUS_AUTH_TYPE  jwt (default): /strata/v1/metrics needs a bearer token
                        from "strata admin prometheus generate"; public: no token
  STRATA_KMS_SECRET_KEY  root secret of the built-in KMS, NAME:BASE64 (32 bytes), e.g.
                        from "strata admin kms generate-secret"; enables SSE-S3 and SSE-KMS
  STRATA_KMS_SECRET_KEY_FILE  the same, read from a file (a Kubernetes Secret)
  STRATA_KMS_AUTO_ENCRYPTION  on: SSE-S3 for every object not otherwise encrypted
  STRATA_SSE_AEAD       AES-256-GCM (default) or ChaCha20-Poly1305 for new objects
  STRATA_SSEC_ALLOW_HTTP  1: accept SSE-C keys over plain HTTP (testing only)
`;

const ADMIN = `Usage: strata admin heal [--endpoint URL] [--bucket BUCKET]
       strata admin prometheus generate [--endpoint URL] [--job NAME]
       strata admin kms key create|status|rotate NAME [--endpoint URL]
       strata admin kms key list [--endpoint URL]
       strata admin kms rewrap [--endpoint URL] [--bucket BUCKET]
       strata admin kms generate-secret [NAME]

heal: asks a running server to heal every object (or one bucket's) and prints
the counts. The request is signed with the root credentials.

prometheus generate: prints a Prometheus scrape config for the server's metrics
(/strata/v1/metrics) with a bearer token: a JWT signed with the root
credentials, valid for 100 years or until the root password changes. Made
locally; the server need not run. Not needed when the server runs with
STRATA_PROMETHEUS_AUTH_TYPE=public.

kms key: the built-in KMS's master keys on a running server (started with
STRATA_KMS_SECRET_KEY). create makes a key (per-tenant keys are names; SSE-KMS
requests name them), list shows every key and its latest version, status also
checks that a data key opens again, rotate adds a version: new objects use it,
existing objects stay readable under their older version.

kms rewrap: after a rotation, re-seals the object keys of every SSE-S3 and
SSE-KMS object version (or one bucket's) under the newest version of their KMS
key. The data is not re-encrypted; SSE-C objects are left alone.

kms generate-secret: prints a new root secret NAME:BASE64 (32 random bytes;
NAME defaults to strata-root) for STRATA_KMS_SECRET_KEY. Made locally; keep it
safe: losing it loses every SSE-S3 and SSE-KMS object.

Options:
  --endpoint URL   the server         STRATA_ENDPOINT (default http://127.0.0.1:<port of STRATA_ADDRESS, 9000>)
  --bucket BUCKET  heal (or re-wrap) only this bucket
  --job NAME       Prometheus job name (default strata)

Environment: STRATA_ROOT_USER, STRATA_ROOT_PASSWORD, STRATA_REGION (as for strata server).
`;

const STRATA = `Usage: strata <command> [options]

Strata is an S3-compatible object store over erasure-coded drives.

Commands:
  server DRIVE...   start the S3 server             (strata server --help)
  admin heal        heal objects on a running server (strata admin --help)
  admin prometheus generate
                    print a Prometheus scrape config with a bearer token
  admin kms         KMS keys (create, list, status, rotate), rewrap,
                    generate-secret                  (strata admin --help)

Options:
  -h, --help        show this help
  -v, --version     show the version

Quickstart:
  strata server './data/drive{1...4}'
  AWS_ACCESS_KEY_ID=strataadmin AWS_SECRET_ACCESS_KEY=strataadmin \\
    aws --endpoint-url http://127.0.0.1:9000 s3 mb s3://demo
`;

/** The help text for a topic, ending with a newline. */
export function usage(topic: HelpTopic): string {
  switch (topic) {
    case 'strata':
      return STRATA;
    case 'server':
      return SERVER;
    case 'admin':
      return ADMIN;
  }
}
