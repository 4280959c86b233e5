/**
 * General purpose bucket naming rules
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html):
 * 3–63 characters of a–z 0–9 . -, starting and ending with a letter or digit, no
 * "..", not an IPv4 address, and none of AWS's reserved prefixes or suffixes.
 * Names starting with '_' can therefore never collide with `/_strata/...` endpoints.
 * `strata` and `minio` are reserved as well: `/strata/health/...`, `/strata/v1/metrics`
 * and their `/minio/...` aliases are path-style paths in those buckets
 * (server/internal-endpoints.ts). CreateBucket refuses them (InvalidBucketName) and
 * every other request naming them finds no bucket (MinIO refuses its `minio` likewise).
 */
export function isValidBucketName(name: string): boolean {
  if (name.length < 3 || name.length > 63) return false;
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) return false;
  if (name.includes('..') || name.includes('.-') || name.includes('-.')) return false;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return false;
  for (const prefix of RESERVED_PREFIXES) if (name.startsWith(prefix)) return false;
  for (const suffix of RESERVED_SUFFIXES) if (name.endsWith(suffix)) return false;
  if (RESERVED_NAMES.has(name)) return false;
  return true;
}

/** Strata's own path-style endpoints live "in" these (see above). */
const RESERVED_NAMES: ReadonlySet<string> = new Set(['strata', 'minio']);

const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'] as const;
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'] as const;
