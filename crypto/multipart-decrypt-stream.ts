import type { Transform } from 'node:stream';
import type { BufferLender } from '../common/index.js';
import { PackageOpener, PlaintextTransform } from './decrypt-stream.js';
import { CryptoError } from './errors.js';
import type { AeadAlgorithm } from './package-format.js';
import { type PackageRange, packageCount, packageRangeFor, sealedSize, TAG_BYTES } from './package-format.js';

/** One sealed stream of a multipart object, as its part metadata records it. */
export interface SealedPart {
  /** 1..10000 (selects the package key). */
  partNumber: number;
  /** The part's own random nonce base (12 bytes). */
  nonceBase: Uint8Array;
  plainSizeBytes: number;
}

/** What to read of a multipart object's sealed bytes (the parts' sealed streams back to back). */
export interface MultipartDecryptionPlan {
  /** First sealed byte to read, as an offset in the whole stored object. */
  sealedStart: number;
  /** Last sealed byte to read, inclusive. */
  sealedEndInclusive: number;
  /** Plaintext bytes the stream will deliver. */
  takeBytes: number;
  /** The parts touched, in order, each with its package range. */
  segments: { part: SealedPart; range: PackageRange }[];
}

/** The range of a whole stream (also for an empty one: its one 16-byte package, nothing delivered). */
export function wholeStreamRange(plainBytes: number): PackageRange {
  if (plainBytes > 0) return packageRangeFor(plainBytes, 0, plainBytes - 1);
  return {
    firstPackageIndex: 0,
    packageCount: 1,
    totalPackages: packageCount(0),
    sealedStart: 0,
    sealedEndInclusive: TAG_BYTES - 1,
    skipBytes: 0,
    takeBytes: 0,
  };
}

/**
 * Plans the read of the inclusive plaintext range [plainStart, plainEndInclusive] of a
 * multipart object (the whole object when the range is absent): which sealed bytes of the
 * stored object to read, and which packages of which parts they hold. Parts are given in
 * object order. Throws CryptoError('InvalidRange') for a range outside the plaintext.
 */
export function planMultipartRange(
  parts: readonly SealedPart[],
  range?: { start: number; endInclusive: number },
): MultipartDecryptionPlan {
  const total = parts.reduce((sum, p) => sum + p.plainSizeBytes, 0);
  const start = range?.start ?? 0;
  const end = range?.endInclusive ?? total - 1;
  if (range !== undefined && (start < 0 || end < start || end >= total)) {
    throw new CryptoError('InvalidRange', `range ${start}-${end} is outside a plaintext of ${total} bytes`);
  }
  const segments: MultipartDecryptionPlan['segments'] = [];
  let plainOffset = 0;
  let sealedOffset = 0;
  let sealedStart = -1;
  let sealedEndInclusive = -1;
  for (const part of parts) {
    const size = part.plainSizeBytes;
    const partEnd = plainOffset + size - 1;
    // A whole-object read takes every part (empty ones too); a range takes the parts from
    // the one holding `start` to the one holding `end`, including empty ones in between
    // (their 16 bytes lie inside the contiguous read and are verified like the rest).
    const touched =
      range === undefined || segments.length > 0 || (size > 0 && start >= plainOffset && start <= partEnd);
    if (touched) {
      const r =
        range === undefined || size === 0
          ? wholeStreamRange(size)
          : packageRangeFor(
              size,
              Math.max(start, plainOffset) - plainOffset,
              Math.min(end, partEnd) - plainOffset,
            );
      if (sealedStart < 0) sealedStart = sealedOffset + r.sealedStart;
      sealedEndInclusive = sealedOffset + r.sealedEndInclusive;
      segments.push({ part, range: r });
      if (range !== undefined && size > 0 && end <= partEnd) break;
    }
    plainOffset += size;
    sealedOffset += sealedSize(size);
  }
  return {
    sealedStart: Math.max(sealedStart, 0),
    sealedEndInclusive,
    takeBytes: range === undefined ? total : end - start + 1,
    segments,
  };
}

/**
 * A Transform from the sealed bytes a plan selects (sealedStart..sealedEndInclusive of
 * the stored object) to the plaintext range: routes each part's bytes to an opener keyed
 * for that part. Same guarantees as createDecryptStream, across part boundaries too.
 */
export function createMultipartDecryptStream(
  opts: { key: Uint8Array; aead: AeadAlgorithm; binding: Uint8Array },
  plan: MultipartDecryptionPlan,
  lender?: BufferLender,
): Transform {
  return new PlaintextTransform(lender, (buffers) => {
    const segments = plan.segments.map((s) => ({
      partNumber: s.part.partNumber,
      opener: new PackageOpener(
        {
          key: opts.key,
          aead: opts.aead,
          binding: opts.binding,
          nonceBase: s.part.nonceBase,
          partNumber: s.part.partNumber,
          range: s.range,
        },
        buffers,
      ),
      sealedBytes: s.range.sealedEndInclusive - s.range.sealedStart + 1,
    }));
    let current = 0;
    let consumed = 0;
    return {
      write(chunk, emit): void {
        let pos = 0;
        while (pos < chunk.byteLength) {
          const segment = segments[current];
          if (segment === undefined)
            throw new CryptoError('Tampered', 'sealed data: bytes after the last part');
          const take = Math.min(segment.sealedBytes - consumed, chunk.byteLength - pos);
          segment.opener.write(chunk.subarray(pos, pos + take), emit);
          pos += take;
          consumed += take;
          if (consumed === segment.sealedBytes) {
            segment.opener.end(emit);
            current++;
            consumed = 0;
          }
        }
      },
      end(): void {
        if (current < segments.length) {
          throw new CryptoError(
            'Tampered',
            `sealed data: ended inside part ${segments[current]?.partNumber}`,
          );
        }
      },
    };
  });
}
