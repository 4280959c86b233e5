"""pytest plugin (ours, loaded by `run.sh --cleanup-fallback`): a diagnostic crutch for servers without
ListObjectVersions.

s3-tests empties every bucket before and after each test with ListObjectVersions + DeleteObjects
(s3tests.functional.list_versions / nuke_bucket). While ListObjectVersions is missing, that makes
nearly every test error in setup, which hides what the tests themselves would find. This plugin
replaces s3tests.functional.list_versions with one that falls back to ListObjectsV2 (current
objects only, no version IDs) when ListObjectVersions fails, and drops BypassGovernanceRetention
from the cleanup's DeleteObjects if the server refuses it. Test bodies are untouched.

Results with it are NOT the suite's verdict: report the run without it, and use this one only to
see the failures behind the setup errors.
"""

import pytest
from botocore.exceptions import ClientError

_fallbacks = {"list": 0, "bypass": 0}


def _install():
    import s3tests.functional as fn

    original_list_versions = fn.list_versions

    def list_versions(client, bucket, batch_size):
        try:
            yield from original_list_versions(client, bucket, batch_size)
            return
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") == "NoSuchBucket":
                raise
            _fallbacks["list"] += 1
        kwargs = {"Bucket": bucket, "MaxKeys": batch_size}
        while True:
            listing = client.list_objects_v2(**kwargs)
            objs = [{"Key": o["Key"]} for o in listing.get("Contents", [])]
            if objs:
                yield objs
            if not listing.get("IsTruncated"):
                break
            kwargs["ContinuationToken"] = listing["NextContinuationToken"]

    fn.list_versions = list_versions

    original_nuke = fn.nuke_bucket

    def nuke_bucket(client, bucket):
        try:
            return original_nuke(client, bucket)
        except ClientError as err:
            if err.operation_name != "DeleteObjects":
                raise
            # Retry without x-amz-bypass-governance-retention.
            _fallbacks["bypass"] += 1
            for objects in list_versions(client, bucket, 128):
                client.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
            client.delete_bucket(Bucket=bucket)

    fn.nuke_bucket = nuke_bucket


def pytest_configure(config):
    _install()


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(
        f"cleanup_fallback: ListObjectsV2 used for cleanup {_fallbacks['list']} times, "
        f"DeleteObjects retried without bypass {_fallbacks['bypass']} times"
    )
