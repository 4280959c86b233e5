/**
 * Listing cost does not grow with the bucket (issue 2: "a page costs the same in a
 * bucket of 10 keys or 10 million"; issue 4: within 1.5× between 1,000 and 1,000,000
 * objects): pages are LMDB range scans from the marker.
 *
 *   npx tsx bench/list-page.bench.ts [bigKeys=1000000] [--via-puts] [--pages 50]
 *
 * Two buckets on 4 temp drives (2 data + 2 parity), one of 1,010 keys (so that a random
 * start still leaves a full page) and one of `bigKeys`, both filled the same way; then
 * `--pages` 1,000-key pages from random start-after keys in each, through ObjectLayer's
 * listObjects (the path ListObjectsV2 takes), and the median per page.
 *
 * Filling: by default the objects are written straight into each drive's LMDB, in the
 * layout LocalDrive uses (pinned by local-drive.test.ts, "on-disk layout"): a 1-byte
 * template object is PUT through ObjectLayer, and every drive's copy of its record and
 * inline shard is cloned per key with the key's own shard placement (shardLayout) and
 * data dir, so each object is as real as a PUT one (GET reads it back; a sample is
 * checked). 1,000,000 objects take a minute or two this way instead of hours of durable
 * PUTs. `--via-puts` PUTs every object through ObjectLayer instead (16 in flight).
 * Storage is then reopened and the timing waits for the start-up usage count (a scan of
 * every key) to finish, so pages are timed alone.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { open as openLmdb } from 'lmdb';
import { noopLogger } from '../common/index.js';
import { shardLayout } from '../storage/erasure-set.js';
import { type ObjectLayer, openStorage, type StorageStats } from '../storage/index.js';
import { RECORD_ENCODING } from '../storage/record-codec.js';
import type { ObjectRecord, ObjectVersion } from '../storage/records.js';

const IN_FLIGHT = 16;
const SMALL_KEYS = 1010;
const DRIVES = 4;
/** Keys written per LMDB transaction while filling directly. */
const FILL_BATCH = 20_000;
const BODY = Buffer.from('x');
const BODY_ETAG = '9dd4e461268c8034f5c8564e155c67a6';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'via-puts': { type: 'boolean', default: false }, pages: { type: 'string', default: '50' } },
});
const bigKeys = Number(positionals[0] ?? '1000000');
const pages = Number(values.pages);
const viaPuts = values['via-puts'] === true;

const keyAt = (i: number): string => `dir${i % 97}/obj-${i.toString().padStart(9, '0')}`;

function putOne(layer: ObjectLayer, bucket: string, key: string) {
  return layer.putObject(bucket, key, Readable.from([BODY]), {
    sizeBytes: BODY.length,
    metadata: {},
    finalize: () => ({ etag: BODY_ETAG }),
  });
}

async function fillViaPuts(layer: ObjectLayer, bucket: string, count: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await putOne(layer, bucket, keyAt(next++));
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

/** LocalDrive's LMDB key of an object record, and of its inline shard (record key, 0x00, versionId). */
const recordKey = (bucket: string, key: string) => Buffer.from(`${bucket}/${key}`, 'utf8');
const inlineKey = (k: Buffer, versionId: string) =>
  Buffer.concat([k, Buffer.from([0]), Buffer.from(versionId)]);

/** Writes `count` objects into every drive's LMDB, cloned from the template object's copies. */
async function fillDirect(
  drivePaths: string[],
  buckets: Array<{ name: string; count: number }>,
): Promise<void> {
  const envs = drivePaths.map((p) =>
    openLmdb({ path: join(p, '.strata.sys', 'meta'), maxDbs: 8, ...RECORD_ENCODING }),
  );
  try {
    const dbs = envs.map((env) => ({
      env,
      objects: env.openDB<ObjectRecord, Buffer>({
        name: 'objects',
        keyEncoding: 'binary',
        ...RECORD_ENCODING,
      }),
      inline: env.openDB<Buffer, Buffer>({ name: 'inline', keyEncoding: 'binary', encoding: 'binary' }),
    }));
    // The template's version and inline shard per shard index (each drive holds one).
    const byShard = new Map<number, { version: ObjectVersion; inline: Buffer }>();
    for (const { objects, inline } of dbs) {
      const k = recordKey('template', 'template');
      const version = objects.get(k)?.versions[0];
      const bytes = inline.getBinary(inlineKey(k, 'null'));
      if (!version || !bytes) throw new Error('the template object is missing on a drive');
      byShard.set(version.driveIndex, { version, inline: Buffer.from(bytes) });
    }
    for (const { name, count } of buckets) {
      for (let from = 0; from < count; from += FILL_BATCH) {
        const keys = Array.from({ length: Math.min(FILL_BATCH, count - from) }, (_, i) => keyAt(from + i));
        const modTimeMs = Date.now();
        const dataDirs = keys.map(() => randomUUID());
        await Promise.all(
          dbs.map(({ env, objects, inline }, slot) =>
            env.transaction(() => {
              keys.forEach((key, i) => {
                const shard = byShard.get(shardLayout(key, DRIVES)[slot] ?? -1);
                if (!shard) throw new Error('no template shard');
                const k = recordKey(name, key);
                const version = { ...shard.version, modTimeMs, dataDir: dataDirs[i] ?? '' };
                objects.putSync(k, { v: 2, versions: [version] });
                inline.putSync(inlineKey(k, version.versionId), shard.inline);
              });
            }),
          ),
        );
      }
    }
  } finally {
    await Promise.all(envs.map((env) => env.close()));
  }
}

async function usageCounted(stats: StorageStats): Promise<void> {
  while (stats.bucketUsage() === undefined) await new Promise((resolve) => setTimeout(resolve, 200));
}

async function medianPageMs(layer: ObjectLayer, bucket: string, count: number): Promise<number> {
  const times: number[] = [];
  for (let p = 0; p < pages; p++) {
    const startAfter = keyAt(Math.floor(Math.random() * Math.max(1, count - 1000)));
    const t0 = performance.now();
    const page = await layer.listObjects(bucket, { prefix: '', delimiter: '', startAfter, maxKeys: 1000 });
    times.push(performance.now() - t0);
    if (page.objects.length === 0) throw new Error('empty page');
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

const root = await mkdtemp(join(tmpdir(), 'strata-list-bench-'));
try {
  const drives = Array.from({ length: DRIVES }, (_, i) => join(root, `drive${i + 1}`));
  const buckets = [
    { name: 'small', count: SMALL_KEYS },
    { name: 'big', count: bigKeys },
  ];
  const t0 = performance.now();
  {
    const { objectLayer } = await openStorage({ drives, logger: noopLogger });
    for (const { name } of buckets) await objectLayer.makeBucket(name, { location: '' });
    if (viaPuts) {
      for (const { name, count } of buckets) await fillViaPuts(objectLayer, name, count);
    } else {
      await objectLayer.makeBucket('template', { location: '' });
      await putOne(objectLayer, 'template', 'template');
    }
    await objectLayer.close();
  }
  if (!viaPuts) await fillDirect(drives, buckets);
  const fillSeconds = (performance.now() - t0) / 1000;
  console.log(
    `filled ${bigKeys + SMALL_KEYS} objects ${viaPuts ? 'through ObjectLayer PUTs' : 'into the drives directly'} in ${fillSeconds.toFixed(0)} s`,
  );

  const { objectLayer, stats } = await openStorage({ drives, logger: noopLogger });
  const t1 = performance.now();
  await usageCounted(stats);
  console.log(`start-up usage count finished after ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  // The filled objects are real: a sample reads back through GET.
  for (const i of [0, bigKeys - 1]) {
    const got = await objectLayer.getObject('big', keyAt(i), {});
    const chunks: Buffer[] = [];
    for await (const c of got.stream) chunks.push(c as Buffer);
    if (!Buffer.concat(chunks).equals(BODY)) throw new Error(`${keyAt(i)} does not read back`);
  }
  const small = await medianPageMs(objectLayer, 'small', SMALL_KEYS);
  const big = await medianPageMs(objectLayer, 'big', bigKeys);
  console.log(`median 1,000-key page, bucket of ${SMALL_KEYS} keys: ${small.toFixed(1)} ms`);
  console.log(
    `median 1,000-key page, bucket of ${bigKeys} keys: ${big.toFixed(1)} ms (${(big / small).toFixed(2)}×)`,
  );
  await objectLayer.close();
} finally {
  await rm(root, { recursive: true, force: true });
}
