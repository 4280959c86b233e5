import { createHmac } from 'node:crypto';

/**
 * Derives the SigV4 signing key: HMAC chain over "AWS4"+secret, date (YYYYMMDD),
 * region, service, "aws4_request".
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html#signing-key
 */
export function signingKey(secretAccessKey: string, date: string, region: string, service = 's3'): Buffer {
  const kDate = createHmac('sha256', `AWS4${secretAccessKey}`).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

/** Default bound: one key per (secret, day, region) in active use; a day rolls them all over. */
const DEFAULT_MAX_ENTRIES = 512;

/**
 * A bounded cache of signing keys per (secret, date, region, service): four HMACs
 * saved per request. When full, the oldest entry is evicted (insertion order).
 * Holds derived keys only in memory; keyed by the secret itself, which the caller
 * already holds.
 */
export class SigningKeyCache {
  private readonly maxEntries: number;
  private readonly keys = new Map<string, Buffer>();
  constructor(maxEntries = DEFAULT_MAX_ENTRIES) {
    this.maxEntries = Math.max(1, maxEntries);
  }
  /** The signing key, derived on a miss. Callers must not mutate the returned buffer. */
  get(secretAccessKey: string, date: string, region: string, service = 's3'): Buffer {
    const id = `${date}\n${region}\n${service}\n${secretAccessKey}`;
    const hit = this.keys.get(id);
    if (hit) return hit;
    const key = signingKey(secretAccessKey, date, region, service);
    if (this.keys.size >= this.maxEntries) {
      const oldest = this.keys.keys().next();
      if (!oldest.done) this.keys.delete(oldest.value);
    }
    this.keys.set(id, key);
    return key;
  }
  get size(): number {
    return this.keys.size;
  }
}
