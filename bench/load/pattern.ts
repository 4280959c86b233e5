/**
 * Deterministic object bodies that a reader can verify without keeping a copy.
 *
 * One pseudo-random pattern of PERIOD_BYTES is generated per seed and stored twice in a row, so
 * any window of up to PERIOD_BYTES starting inside the first copy is one contiguous subarray.
 * Byte i of the body of key K is pattern[(offsetOf(K) + i) mod PERIOD_BYTES]: writing a 16 MiB
 * body hands out subarrays of the pattern (no copies, no per-object buffers), and checking a
 * downloaded chunk is one memcmp against the window where it should start.
 *
 * PERIOD_BYTES is deliberately not a divisor of 1 MiB, the block size of Strata's erasure coding
 * (and of typical part sizes): a server that returned block 0 in place of block 1 of the same
 * object, or another object's bytes, would be caught; a period of exactly 1 MiB would hide the
 * first mistake.
 */

/** 1 MiB plus a prime: no power-of-two block boundary lines up with the period. */
export const PERIOD_BYTES = 1024 * 1024 + 4099;
/** Largest chunk `bodyChunks` hands out: 1 MiB keeps socket writes large and backpressure fine-grained. */
export const CHUNK_BYTES = 1024 * 1024;

/** The doubled pattern for `seed` (2 × PERIOD_BYTES, about 2 MiB). */
export function makePattern(seed: number): Buffer {
  const pattern = Buffer.allocUnsafe(2 * PERIOD_BYTES);
  // xorshift32 from a seed mixed so that 0 and small seeds still give a full-period state.
  let x = mix32(seed) || 0x9e3779b9;
  const words = Math.floor(PERIOD_BYTES / 4);
  for (let i = 0; i < words; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    pattern.writeUInt32LE(x >>> 0, i * 4);
  }
  for (let i = words * 4; i < PERIOD_BYTES; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    pattern[i] = x & 0xff;
  }
  pattern.copy(pattern, PERIOD_BYTES, 0, PERIOD_BYTES);
  return pattern;
}

/** A 32-bit finalizer (from MurmurHash3) so nearby inputs land far apart. */
function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Where the body of `key` starts in the pattern: FNV-1a of the key's UTF-8 bytes, then mixed. */
export function offsetOf(key: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h) % PERIOD_BYTES;
}

/**
 * The bytes [start, start + length) of the body that begins at pattern offset `offset`, as
 * subarrays of `pattern` of at most CHUNK_BYTES (views: the caller must not modify them).
 */
export function* bodyChunks(pattern: Buffer, offset: number, length: number, start = 0): Generator<Buffer> {
  let pos = (offset + start) % PERIOD_BYTES;
  let left = length;
  while (left > 0) {
    const n = Math.min(left, CHUNK_BYTES);
    yield pattern.subarray(pos, pos + n);
    pos = (pos + n) % PERIOD_BYTES;
    left -= n;
  }
}

/**
 * Checks a body as it arrives, chunk by chunk, against the pattern. `ok()` is true only when
 * every byte matched and exactly `expectedBytes` arrived.
 */
export class BodyVerifier {
  private pos: number;
  private received = 0;
  private mismatchAt = -1;

  constructor(
    private readonly pattern: Buffer,
    offset: number,
    private readonly expectedBytes: number,
  ) {
    this.pos = offset % PERIOD_BYTES;
  }

  get bytes(): number {
    return this.received;
  }

  update(chunk: Uint8Array): void {
    // Bytes past the expected length are only counted: `problem()` reports the length.
    const checked = Math.min(chunk.length, Math.max(0, this.expectedBytes - this.received));
    for (let done = 0; this.mismatchAt < 0 && done < checked; ) {
      const n = Math.min(checked - done, PERIOD_BYTES);
      const got = chunk.subarray(done, done + n);
      const expected = this.pattern.subarray(this.pos, this.pos + n);
      if (Buffer.compare(got, expected) !== 0) {
        let i = 0;
        while (got[i] === expected[i]) i++;
        this.mismatchAt = this.received + done + i;
      }
      this.pos = (this.pos + n) % PERIOD_BYTES;
      done += n;
    }
    this.received += chunk.length;
  }

  ok(): boolean {
    return this.mismatchAt < 0 && this.received === this.expectedBytes;
  }

  /** Why `ok()` is false, for the error report. */
  problem(): string {
    if (this.mismatchAt >= 0) return `body differs from the expected pattern at byte ${this.mismatchAt}`;
    if (this.received !== this.expectedBytes) {
      return `body has ${this.received} bytes, expected ${this.expectedBytes}`;
    }
    return 'body verified';
  }
}
