#!/usr/bin/env python3
"""Summarizes a ceph/s3-tests junit.xml by feature area.

usage: summarize.py JUNIT_XML [--json OUT.json] [--baseline OLD_junit.xml] [--no-failures]

Prints a table of pass/fail/error/skip counts per area (areas are recognized from test names, first
matching rule wins), then every failing or erroring test with the first line of its error and the
line of test_s3.py where it failed, then the most common error signatures across all areas. With
--baseline, also lists the tests whose outcome changed since that earlier run. Standard library only.
"""

import argparse
import os
import json
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter, OrderedDict, defaultdict

# (area, regex on the test function name). Order matters: the first match wins.
AREAS = [
    ("encryption", r"sse|encrypt|_enc(_|\[|$)|noenc"),
    ("lifecycle", r"^test_lifecycle"),
    ("object lock", r"object_lock"),
    ("post", r"post_object"),
    ("cors", r"cors"),
    ("policy", r"policy|public_block|block_public|ignore_public_acls"),
    ("tagging", r"tag"),
    ("object attributes", r"object_attributes"),
    ("checksums", r"checksum|cksum"),
    ("conditional", r"if_?match|if_?none_?match|ifnonmatch|modifiedsince|conditional"),
    ("versioning", r"^test_version|delete_marker"),
    ("multipart", r"multipart|_part\b|_part_|upload_part|100_continue"),
    ("copy", r"copy"),
    ("list", r"^test_bucket_list|^test_bucket_listv2|^test_basic_key_count|list_objects"),
    ("acl", r"acl|^test_access_bucket|grant"),
    ("bucket", r"^test_bucket|^test_buckets_|^test_list_buckets|^test_create_bucket|head_bucket"
               r"|^test_account_usage|expected_bucket_owner"),
    ("object-basic", r"^test_object|^test_atomic|^test_ranged|^test_get_object|^test_put_object"
                     r"|multi_object|^test_delete_object|^test_head_object"),
]
AREA_ORDER = [a for a, _ in AREAS] + ["other"]
# Areas issue 3 reports on (the others are printed too, below a rule).
ISSUE3_AREAS = ["multipart", "versioning", "object lock", "tagging", "cors", "post", "copy", "list",
                "checksums", "conditional"]

OUTCOMES = ["pass", "fail", "error", "skip"]


def area_of(name):
    base = name.split("[", 1)[0]
    for area, pattern in AREAS:
        if re.search(pattern, base):
            return area
    return "other"


def first_line(text):
    for line in (text or "").splitlines():
        line = line.strip()
        if line:
            return line
    return ""


def failing_location(text):
    """The deepest test_s3.py (or other s3tests file) line in a traceback, e.g. test_s3.py:1234."""
    hits = re.findall(r"(s3tests/functional/)?(test_\w+\.py|__init__\.py|utils\.py):(\d+)", text or "")
    return f"{hits[-1][1]}:{hits[-1][2]}" if hits else ""


def exception_line(text):
    """The last 'E   ...' line of a pytest traceback (the exception itself) when there is one."""
    lines = [ln[1:].strip() for ln in (text or "").splitlines() if ln.startswith("E ")]
    for ln in lines:
        if ln and not ln.startswith("+") and not ln.startswith("-") and not ln.startswith("where"):
            return ln
    return ""


def signature(message):
    """A short, run-independent form of an error message, to group tests failing the same way."""
    m = re.search(r"An error occurred \(([^)]*)\)(?: \(reached max retries: \d+\))? when calling the (\w+) operation", message)
    if m:
        return f"ClientError {m.group(1)} on {m.group(2)}"
    s = re.sub(r"s3t-[a-z0-9]+-\d+", "<bucket>", message)
    s = re.sub(r"'[0-9a-f]{32}(-\d+)?'", "'<etag>'", s)
    s = re.sub(r"\b[0-9a-f]{16,}\b", "<hex>", s)
    s = re.sub(r"\d{4}-\d\d-\d\d[ T][\d:.+Z-]+", "<date>", s)
    return s[:140]


def parse(path):
    tree = ET.parse(path)
    results = OrderedDict()
    for case in tree.iter("testcase"):
        name = case.get("name")
        classname = case.get("classname", "")
        key = name if "test_s3" in classname or not classname else f"{classname.rsplit('.', 1)[-1]}::{name}"
        failure = case.find("failure")
        error = case.find("error")
        skipped = case.find("skipped")
        if failure is not None:
            outcome, node = "fail", failure
        elif error is not None:
            outcome, node = "error", error
        elif skipped is not None:
            outcome, node = "skip", skipped
        else:
            outcome, node = "pass", None
        message = ""
        where = ""
        if node is not None:
            text = node.text or ""
            message = exception_line(text) or first_line(node.get("message", "")) or first_line(text)
            if outcome == "error" and "teardown" in (node.get("message") or ""):
                message = "[teardown] " + message
            if outcome == "skip":
                message = first_line(node.get("message", "")) or message
            where = failing_location(text)
        results[key] = {
            "area": area_of(name),
            "outcome": outcome,
            "message": message,
            "where": where,
            "time": float(case.get("time") or 0),
        }
    return results


def load_known(path):
    """known-failures.txt: `test_name  reason` per line (# comments). Returns {name: reason}."""
    known = {}
    if not path or not os.path.exists(path):
        return known
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            name, _, reason = line.partition(" ")
            known[name] = reason.strip() or "(no reason given)"
    return known


def table(results):
    counts = defaultdict(Counter)
    for r in results.values():
        counts[r["area"]][r["outcome"]] += 1
    lines = []
    header = f"{'area':<18} {'pass':>5} {'fail':>5} {'error':>5} {'skip':>5} {'total':>6}"
    lines.append(header)
    lines.append("-" * len(header))
    total = Counter()
    shown = [a for a in ISSUE3_AREAS if a in counts] + [a for a in AREA_ORDER if a not in ISSUE3_AREAS and a in counts]
    for i, area in enumerate(shown):
        if i == len([a for a in ISSUE3_AREAS if a in counts]) and i > 0:
            lines.append("-" * len(header))
        c = counts[area]
        total.update(c)
        lines.append(f"{area:<18} {c['pass']:>5} {c['fail']:>5} {c['error']:>5} {c['skip']:>5} {sum(c.values()):>6}")
    lines.append("-" * len(header))
    lines.append(f"{'TOTAL':<18} {total['pass']:>5} {total['fail']:>5} {total['error']:>5} {total['skip']:>5} {sum(total.values()):>6}")
    return lines, counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("junit")
    ap.add_argument("--json", help="also write per-test outcomes and per-area counts here")
    ap.add_argument("--baseline", help="an earlier junit.xml to compare with")
    ap.add_argument("--no-failures", action="store_true", help="only the table")
    ap.add_argument("--known", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "known-failures.txt"),
                    help="test names with the reason they are expected to fail (default: known-failures.txt here)")
    args = ap.parse_args()

    results = parse(args.junit)
    if not results:
        print(f"no test cases in {args.junit}")
        return 1
    lines, counts = table(results)
    known = load_known(args.known)
    print(f"s3-tests results by area ({args.junit})")
    print("\n".join(lines))
    failing = {n: r for n, r in results.items() if r["outcome"] in ("fail", "error")}
    unexplained = sorted(n for n in failing if n not in known)
    now_passing = sorted(n for n, r in results.items() if n in known and r["outcome"] == "pass")
    print(f"\nFailures explained by {os.path.basename(args.known)}: {len(failing) - len(unexplained)};"
          f" unexplained: {len(unexplained)}; listed there but passing now: {len(now_passing)}")
    for n in unexplained:
        print(f"  UNEXPLAINED  {n} ({results[n]['area']})")
    for n in now_passing:
        print(f"  NOW PASSES   {n} (remove it from the list)")

    if not args.no_failures:
        print("\nFailing tests (area: outcome test [where]: first error line)")
        by_area = defaultdict(list)
        for name, r in results.items():
            if r["outcome"] in ("fail", "error"):
                by_area[r["area"]].append((name, r))
        for area in [a for a in ISSUE3_AREAS] + [a for a in AREA_ORDER if a not in ISSUE3_AREAS]:
            if not by_area.get(area):
                continue
            print(f"\n## {area} ({len(by_area[area])})")
            for name, r in by_area[area]:
                where = f" [{r['where']}]" if r["where"] else ""
                print(f"  {r['outcome'].upper():<5} {name}{where}: {r['message'][:300]}")
                print(f"        reason: {known.get(name, 'UNEXPLAINED')}")

        sigs = defaultdict(list)
        for name, r in results.items():
            if r["outcome"] in ("fail", "error"):
                sigs[signature(r["message"])].append(name)
        if sigs:
            print("\nMost common error signatures (count, signature, examples)")
            for sig, names in sorted(sigs.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:40]:
                print(f"  {len(names):>4}  {sig}\n        e.g. {', '.join(names[:3])}")

    if args.baseline:
        old = parse(args.baseline)
        changed = [(n, old[n]["outcome"], r["outcome"]) for n, r in results.items()
                   if n in old and old[n]["outcome"] != r["outcome"]]
        new = [n for n in results if n not in old]
        gone = [n for n in old if n not in results]
        print(f"\nChanged since {args.baseline}: {len(changed)} tests"
              f" ({sum(1 for c in changed if c[2] == 'pass')} now pass,"
              f" {sum(1 for c in changed if c[1] == 'pass')} no longer pass)")
        for n, a, b in changed:
            print(f"  {a:>5} -> {b:<5} {n}")
        if new:
            print(f"  new tests: {len(new)}")
        if gone:
            print(f"  tests no longer run: {len(gone)}")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({
                "areas": {a: dict(counts[a]) for a in AREA_ORDER if a in counts},
                "tests": results,
            }, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
