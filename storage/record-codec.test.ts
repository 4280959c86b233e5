import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asBinary, open } from 'lmdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectRecordV1Migrated, objectRecordV2 } from './fixtures/golden-records.js';
import {
  decodeStoredObjectRecord,
  driveIndexOffsets,
  RECORD_ENCODING,
  sameStoredRecord,
} from './record-codec.js';
import { type ObjectRecord, parseObjectRecord, RecordFormatError } from './records.js';

const fixturesDir = join(import.meta.dirname, 'fixtures');

let dir: string;
let env: ReturnType<typeof open>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-record-codec-'));
  env = open({ path: dir, ...RECORD_ENCODING });
});
afterAll(async () => {
  await env.close();
  await rm(dir, { recursive: true, force: true });
});

/** The bytes LocalDrive stores for `record` (lmdb-js's encoder with RECORD_ENCODING). */
async function stored(record: ObjectRecord): Promise<Buffer> {
  await env.put('r', record);
  return Buffer.from(env.getBinary('r') ?? new Uint8Array());
}

/** The same record as another drive holds it: every version with this drive's shard index. */
function onDrive(record: ObjectRecord, driveIndex: number): ObjectRecord {
  return { ...record, versions: record.versions.map((v) => ({ ...v, driveIndex })) };
}

function same(a: Buffer, b: Buffer, versionCount: number): boolean {
  const offsets = driveIndexOffsets(a, 0, a.length, versionCount);
  if (offsets === null) throw new Error('not comparable');
  return sameStoredRecord(a, 0, a.length, offsets, b, 0, b.length);
}

describe('decodeStoredObjectRecord', () => {
  it.each([
    ['object-record-v1.msgpack', objectRecordV1Migrated],
    ['object-record-v2.msgpack', objectRecordV2],
  ] as const)('decodes the golden fixture %s as lmdb-js does', async (file, expected) => {
    const fixture = await readFile(join(fixturesDir, file));
    await env.put('fixture', asBinary(fixture));
    const viaLmdb = parseObjectRecord(env.get('fixture'));
    const viaCodec = decodeStoredObjectRecord(fixture);
    expect(viaCodec).toEqual(viaLmdb);
    expect(viaCodec).toEqual(expected);
  });

  it('throws RecordFormatError for bytes that are not a record', () => {
    expect(() => decodeStoredObjectRecord(Buffer.from([0xc1]))).toThrow(RecordFormatError);
    expect(() => decodeStoredObjectRecord(Buffer.from([0x81, 0xa1]))).toThrow(RecordFormatError);
    expect(() => decodeStoredObjectRecord(Buffer.from([0x01]))).toThrow(RecordFormatError);
  });
});

describe('sameStoredRecord', () => {
  it("finds one driveIndex value per version and treats two drives' copies as the same", async () => {
    const a = await stored(onDrive(objectRecordV2, 0));
    const offsets = driveIndexOffsets(a, 0, a.length, 3);
    expect(offsets).toHaveLength(3);
    for (const at of offsets ?? []) expect(a[at]).toBe(0);
    for (const index of [1, 2, 3, 15]) {
      const b = await stored(onDrive(objectRecordV2, index));
      const before = Buffer.from(b);
      expect(same(a, b, 3)).toBe(true);
      expect(b.equals(before)).toBe(true); // the comparison leaves the other copy as it was
    }
  });

  it('compares records inside larger buffers (a scan holds them back to back)', async () => {
    const one = await stored(onDrive(objectRecordV1Migrated, 1));
    const two = await stored(onDrive(objectRecordV2, 2));
    const bufA = Buffer.concat([two, one, two]);
    const bufB = Buffer.concat([one, await stored(onDrive(objectRecordV1Migrated, 3))]);
    const aStart = two.length;
    const aEnd = aStart + one.length;
    const offsets = driveIndexOffsets(bufA, aStart, aEnd, 1);
    expect(offsets).toHaveLength(1);
    expect(sameStoredRecord(bufA, aStart, aEnd, offsets ?? [], bufB, one.length, bufB.length)).toBe(true);
    expect(sameStoredRecord(bufA, aStart, aEnd, offsets ?? [], bufB, 0, one.length)).toBe(true);
    // Record two starts with fields equal to record one's but is a different record.
    expect(
      sameStoredRecord(
        bufA,
        0,
        two.length,
        driveIndexOffsets(bufA, 0, two.length, 3) ?? [],
        bufB,
        0,
        one.length,
      ),
    ).toBe(false);
  });

  it('tells apart copies that differ in anything but driveIndex', async () => {
    const base = onDrive(objectRecordV2, 0);
    const a = await stored(base);
    const variants: ObjectRecord[] = [
      // Same length, one character of an etag.
      {
        ...base,
        versions: base.versions.map((v, i) => (i === 1 ? { ...v, etag: v.etag.replace('0b', '0c') } : v)),
      },
      // A metadata update that missed this drive.
      {
        ...base,
        versions: base.versions.map((v, i) =>
          i === 2 ? { ...v, metadata: { 'content-type': 'text/html' } } : v,
        ),
      },
      {
        ...base,
        versions: base.versions.map((v, i) => (i === 0 ? { ...v, modTimeMs: v.modTimeMs + 1 } : v)),
      },
      // A stale copy: one version fewer.
      { ...base, versions: base.versions.slice(1) },
      { ...base, versions: base.versions.map((v) => ({ ...v, k: 3, m: 1 })) },
    ];
    for (const variant of variants) expect(same(a, await stored(variant), 3)).toBe(false);
  });

  it('refuses a byte where driveIndex is that is not a one-byte index', async () => {
    const a = await stored(onDrive(objectRecordV1Migrated, 0));
    const b = Buffer.from(await stored(onDrive(objectRecordV1Migrated, 1)));
    const [at] = driveIndexOffsets(a, 0, a.length, 1) ?? [];
    if (at === undefined) throw new Error('setup');
    b[at] = 0xcc; // uint8 marker: a different structure from here on
    expect(sameStoredRecord(a, 0, a.length, [at], b, 0, b.length)).toBe(false);
  });

  it('gives up (null) when a string holds the driveIndex key bytes or the count does not match', async () => {
    const tricky = {
      ...objectRecordV1Migrated,
      versions: objectRecordV1Migrated.versions.map((v) => ({
        ...v,
        // 'ª' is C2 AA in UTF-8: the string contains AA 'driveIndex' followed by 'A'.
        metadata: { 'x-amz-meta-note': 'ªdriveIndexA' },
      })),
    };
    const a = await stored(tricky);
    expect(driveIndexOffsets(a, 0, a.length, 1)).toBeNull();
    const plain = await stored(objectRecordV1Migrated);
    expect(driveIndexOffsets(plain, 0, plain.length, 1)).toHaveLength(1);
    expect(driveIndexOffsets(plain, 0, plain.length, 2)).toBeNull();
    // Cut inside the key: the occurrence belongs to no version of the range.
    const [at] = driveIndexOffsets(plain, 0, plain.length, 1) ?? [];
    expect(driveIndexOffsets(plain, 0, (at ?? 0) - 3, 1)).toBeNull();
  });
});
