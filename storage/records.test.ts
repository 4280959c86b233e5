import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asBinary, open } from 'lmdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bucketRecordV1,
  bucketRecordV1Migrated,
  bucketRecordV2,
  objectRecordV1,
  objectRecordV1Migrated,
  objectRecordV2,
} from './fixtures/golden-records.js';
import { RECORD_ENCODING } from './local-drive.js';
import { parseBucketRecord, parseObjectRecord, RecordFormatError } from './records.js';

/**
 * Golden fixtures: storage/fixtures/*-v<N>.msgpack are the bytes LocalDrive stores for
 * the records in fixtures/golden-records.ts (an object record is stored without its
 * inline bytes, which go raw into the 'inline' db: local-drive.test.ts pins that split).
 * If a change to the record shape or encoding breaks this test, the change is an
 * on-disk format change: add a new version and a migration instead. Old versions keep
 * their fixtures: they must still decode (migrated to the current shape).
 */
const fixturesDir = join(import.meta.dirname, 'fixtures');

describe('record golden fixtures', () => {
  let dir: string;
  let env: ReturnType<typeof open>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-records-'));
    env = open({ path: dir, ...RECORD_ENCODING });
  });
  afterAll(async () => {
    await env.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['object-record-v1.msgpack', objectRecordV1, objectRecordV1Migrated, parseObjectRecord],
    ['bucket-record-v1.msgpack', bucketRecordV1, bucketRecordV1Migrated, parseBucketRecord],
    ['object-record-v2.msgpack', objectRecordV2, objectRecordV2, parseObjectRecord],
    ['bucket-record-v2.msgpack', bucketRecordV2, bucketRecordV2, parseBucketRecord],
  ] as const)(
    '%s pins the stored bytes and decodes (migrated) to the current record',
    async (file, stored, expected, parse) => {
      const fixture = await readFile(join(fixturesDir, file));
      await env.put('fixture', asBinary(fixture));
      const decoded = parse(env.get('fixture'));
      expect(normalize(decoded)).toEqual(normalize(expected));
      await env.put('encoded', stored);
      expect(Buffer.from(env.getBinary('encoded') ?? new Uint8Array()).equals(fixture)).toBe(true);
    },
  );
});

/** Buffers and Uint8Arrays compare equal by content. */
function normalize(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_k, v) =>
      v instanceof Uint8Array || (v && v.type === 'Buffer') ? [...(v.data ?? v)] : v,
    ),
  );
}

describe('parseObjectRecord', () => {
  it('rejects unknown versions and malformed records', () => {
    expect(() => parseObjectRecord({ v: 3, versions: [{}] })).toThrow(RecordFormatError);
    expect(() => parseObjectRecord({ v: 1, versions: [] })).toThrow(RecordFormatError);
    expect(() => parseObjectRecord({ v: 2, versions: [] })).toThrow(RecordFormatError);
    expect(() => parseObjectRecord({ v: 1, versions: [{ versionId: 'null' }] })).toThrow(RecordFormatError);
    expect(() =>
      parseObjectRecord({ v: 2, versions: [{ ...objectRecordV2.versions[0], parts: 'x' }] }),
    ).toThrow(RecordFormatError);
    expect(() => parseObjectRecord('x')).toThrow(RecordFormatError);
  });
  it('rejects non-string metadata', () => {
    const bad = structuredClone(objectRecordV1Migrated) as unknown as {
      versions: Array<{ metadata: unknown }>;
    };
    const v0 = bad.versions[0];
    if (v0) v0.metadata = { a: 1 };
    expect(() => parseObjectRecord(bad)).toThrow(RecordFormatError);
  });
  it('migrates a v1 record to one part file and no delete marker', () => {
    const migrated = parseObjectRecord(structuredClone(objectRecordV1));
    expect(migrated.v).toBe(2);
    expect(migrated.versions[0]?.isDeleteMarker).toBe(false);
    expect(migrated.versions[0]?.parts).toEqual([
      { number: 1, sizeBytes: 5, etag: '5d41402abc4b2a76b9719d911017c592', metadata: {} },
    ]);
    expect(migrated.versions[0]?.uploadId).toBeUndefined();
  });
});

describe('parseBucketRecord', () => {
  it('rejects an unknown versioning state', () => {
    expect(() => parseBucketRecord({ ...bucketRecordV2, versioning: 'Maybe' })).toThrow(RecordFormatError);
  });
});
