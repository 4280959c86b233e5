import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asBinary, open } from 'lmdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_ENCODING } from './local-drive.js';
import {
  type BucketRecord,
  type ObjectRecord,
  parseBucketRecord,
  parseObjectRecord,
  RecordFormatError,
} from './records.js';

/**
 * Golden fixtures: storage/fixtures/*-v1.msgpack are the bytes LocalDrive stores for
 * these records (an object record is stored without its inline bytes, which go raw
 * into the 'inline' db: local-drive.test.ts pins that split). If a change to the record
 * shape or encoding breaks this test, the change is an on-disk format change: add a
 * new version and a migration instead.
 */
const expectedObject: ObjectRecord = {
  v: 1,
  versions: [
    {
      versionId: 'null',
      modTimeMs: 1_764_000_000_123,
      sizeBytes: 5,
      etag: '5d41402abc4b2a76b9719d911017c592',
      metadata: { 'content-type': 'text/plain', 'x-amz-meta-color': 'blue' },
      dataDir: '0f8fad5b-d9cb-469f-a165-70867728950e',
      k: 2,
      m: 2,
      driveIndex: 3,
      blockSizeBytes: 1_048_576,
    },
  ],
};
const expectedBucket: BucketRecord = {
  v: 1,
  name: 'photos',
  createdAtMs: 1_764_000_000_000,
  location: 'eu-west-1',
};

const fixturesDir = join(import.meta.dirname, 'fixtures');

describe('record golden fixtures (v1)', () => {
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
    ['object-record-v1.msgpack', expectedObject, parseObjectRecord],
    ['bucket-record-v1.msgpack', expectedBucket, parseBucketRecord],
  ] as const)(
    '%s decodes to the expected record and re-encodes to the same bytes',
    async (file, expected, parse) => {
      const fixture = await readFile(join(fixturesDir, file));
      await env.put('fixture', asBinary(fixture));
      const decoded = parse(env.get('fixture'));
      expect(normalize(decoded)).toEqual(normalize(expected));
      await env.put('encoded', expected);
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
    expect(() => parseObjectRecord({ v: 2, versions: [] })).toThrow(RecordFormatError);
    expect(() => parseObjectRecord({ v: 1, versions: [] })).toThrow(RecordFormatError);
    expect(() => parseObjectRecord({ v: 1, versions: [{ versionId: 'null' }] })).toThrow(RecordFormatError);
    expect(() => parseObjectRecord('x')).toThrow(RecordFormatError);
  });
  it('rejects non-string metadata', () => {
    const bad = structuredClone(expectedObject) as unknown as { versions: Array<{ metadata: unknown }> };
    const v0 = bad.versions[0];
    if (v0) v0.metadata = { a: 1 };
    expect(() => parseObjectRecord(bad)).toThrow(RecordFormatError);
  });
});
