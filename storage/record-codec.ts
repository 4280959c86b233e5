import { Unpackr } from 'msgpackr';
import { type ObjectRecord, parseObjectRecord, RecordFormatError } from './records.js';

/**
 * The stored form of object records, shared by the drives that store them and the
 * erasure set that compares them (a listing compares the drives' bytes and decodes one
 * copy; see ErasureSet.scanBatch).
 *
 * Value encoding of the LMDB record dbs: lmdb-js's msgpack encoder with msgpackr's record
 * extension off, so each value is a self-contained, standard MessagePack map (no shared
 * structures stored elsewhere in the db). Do not change: on-disk format (pinned by the
 * golden fixtures in storage/fixtures/).
 */
export const RECORD_ENCODING = { encoding: 'msgpack', useRecords: false } as const;

/**
 * Decodes like lmdb-js does for a db opened with RECORD_ENCODING: it builds a msgpackr
 * Packr from these options plus `copyBuffers: true` (storage/record-codec.test.ts checks
 * that both decode every golden fixture alike).
 */
const unpackr = new Unpackr({ useRecords: false, copyBuffers: true });

/**
 * Decodes and validates one stored object record (the bytes of one LMDB value).
 * Throws RecordFormatError for bytes that are not MessagePack or not a known record.
 */
export function decodeStoredObjectRecord(bytes: Uint8Array): ObjectRecord {
  let value: unknown;
  try {
    value = unpackr.unpack(bytes);
  } catch (err) {
    throw new RecordFormatError(`object record is not MessagePack: ${(err as Error).message}`);
  }
  return parseObjectRecord(value);
}

/**
 * `driveIndex` as a map key: MessagePack fixstr (0xa0 | 10) and its 10 bytes, exactly
 * as msgpackr writes every version's driveIndex field (both record formats have it).
 */
const DRIVE_INDEX_KEY = Buffer.from([0xaa, ...Buffer.from('driveIndex', 'latin1')]);

/** The largest MessagePack positive fixint: a driveIndex (0..15) is always one byte. */
const MAX_POSITIVE_FIXINT = 0x7f;

/**
 * Where the per-drive bytes of a stored record are: the offsets (into `buf`) of the
 * one-byte driveIndex values of the record in buf[start, end), which has `versionCount`
 * versions once decoded. The only field in which the drives' copies of one record
 * differ is driveIndex (inline bytes are stored apart).
 *
 * Null when the record cannot be compared this way: the key pattern occurs a different
 * number of times than there are versions (e.g. a metadata string contains it), or a
 * value is not a one-byte fixint. Callers then decode every copy instead.
 *
 * Why a byte pattern is enough: each version's map holds exactly one driveIndex key, so
 * when the pattern occurs exactly versionCount times every occurrence is such a key;
 * two copies that are equal outside these value bytes, whose values there are one-byte
 * fixints, decode to the same structure with only driveIndex differing.
 */
export function driveIndexOffsets(
  buf: Buffer,
  start: number,
  end: number,
  versionCount: number,
): number[] | null {
  const offsets: number[] = [];
  let at = buf.indexOf(DRIVE_INDEX_KEY, start);
  while (at >= 0 && at + DRIVE_INDEX_KEY.length < end) {
    const valueAt = at + DRIVE_INDEX_KEY.length;
    if ((buf[valueAt] ?? 0xff) > MAX_POSITIVE_FIXINT) return null;
    offsets.push(valueAt);
    if (offsets.length > versionCount) return null;
    at = buf.indexOf(DRIVE_INDEX_KEY, valueAt);
  }
  // An occurrence straddling `end` belongs to no version of this record.
  if (at >= 0 && at < end) return null;
  return offsets.length === versionCount ? offsets : null;
}

/**
 * True when b[bStart, bEnd) is another drive's copy of the record a[aStart, aEnd):
 * byte-equal except for the driveIndex values at `offsets` (from driveIndexOffsets on
 * a), which are one-byte fixints in both. False says nothing (compare decoded records).
 * One Buffer.compare over the whole record: b's index bytes are set to a's for the
 * comparison and put back (b is only read meanwhile).
 */
export function sameStoredRecord(
  a: Buffer,
  aStart: number,
  aEnd: number,
  offsets: readonly number[],
  b: Buffer,
  bStart: number,
  bEnd: number,
): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false;
  const shift = bStart - aStart;
  for (const at of offsets) if ((b[at + shift] ?? 0xff) > MAX_POSITIVE_FIXINT) return false;
  const saved = offsets.map((at) => b[at + shift] ?? 0);
  for (const at of offsets) b[at + shift] = a[at] ?? 0;
  try {
    return a.compare(b, bStart, bEnd, aStart, aEnd) === 0;
  } finally {
    offsets.forEach((at, i) => {
      b[at + shift] = saved[i] ?? 0;
    });
  }
}
