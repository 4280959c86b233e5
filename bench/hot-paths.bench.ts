/**
 * What do the per-request hot functions cost per core? The ones issue 4 names that have no
 * bench of their own (codec, bitrot hash and AEAD do): SigV4 verification of an
 * Authorization header, the MD5 of a PUT body, the ListObjectsV2 XML of a 1,000-key page,
 * and encoding/decoding a version record as the drives store it.
 *
 *   npx tsx bench/hot-paths.bench.ts [seconds-per-case=1]
 *
 * Reports operations per CPU-second of this process (best of three runs) and the CPU time
 * of one operation. Numbers seen are in bench/README.md ("Hot paths").
 */
import { createHash } from 'node:crypto';
import { Packr } from 'msgpackr';
import { authenticate } from '../server/auth/authenticate.js';
import { SigningKeyCache } from '../server/auth/signing-key.js';
import { DOC_KEY, DOC_NOW, docGetObject, docLookup } from '../server/auth/sigv4-doc-example.js';
import { contentsXml } from '../server/listing.js';
import { objectRecordV2 } from '../storage/fixtures/golden-records.js';
import type { ObjectInfo } from '../storage/index.js';
import { decodeStoredObjectRecord, RECORD_ENCODING } from '../storage/record-codec.js';

const RUNS = 3;
const secondsPerCase = Number(process.argv[2] ?? '1');

/** Best operations per CPU-second over RUNS runs of `step` (each step does `opsPerStep`). */
function measure(step: () => unknown, opsPerStep = 1): number {
  let best = 0;
  for (let run = 0; run < RUNS; run++) {
    const wallEnd = performance.now() + secondsPerCase * 1000;
    const cpuStart = process.cpuUsage();
    let ops = 0;
    while (performance.now() < wallEnd) {
      step();
      ops += opsPerStep;
    }
    const cpu = process.cpuUsage(cpuStart);
    best = Math.max(best, ops / ((cpu.user + cpu.system) / 1e6));
  }
  return best;
}

function report(label: string, opsPerCpuSecond: number, unit: string): void {
  const usPerOp = 1e6 / opsPerCpuSecond;
  console.log(
    `${label.padEnd(52)} ${Math.round(opsPerCpuSecond).toLocaleString('en-US').padStart(10)} ${unit}/s per core  ${usPerOp.toFixed(1).padStart(8)} µs each`,
  );
}

function main(): void {
  console.log(`${secondsPerCase}s x ${RUNS} runs per case, best run; Node ${process.version}`);

  // The AWS SigV4 documentation's GetObject example (also server/auth/authenticate.test.ts).
  const SIGNED_GET = docGetObject();
  const authOpts = { lookup: docLookup, region: 'us-east-1', nowMs: DOC_NOW };
  const cached = new SigningKeyCache();
  if (authenticate(SIGNED_GET, { ...authOpts, signingKeys: cached }).accessKeyId !== DOC_KEY.accessKeyId) {
    throw new Error('the example request did not verify');
  }
  report(
    'SigV4 header verification (signing key cached)',
    measure(() => authenticate(SIGNED_GET, { ...authOpts, signingKeys: cached })),
    'requests',
  );
  report(
    'SigV4 header verification (signing key derived)',
    measure(() => authenticate(SIGNED_GET, { ...authOpts, signingKeys: new SigningKeyCache() })),
    'requests',
  );

  // A PUT body's MD5 (the ETag), fed as the socket delivers it: 64 KiB chunks.
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  report(
    'MD5 of a 1 MiB body in 64 KiB chunks',
    measure(() => {
      const md5 = createHash('md5');
      for (let i = 0; i < 16; i++) md5.update(chunk);
      return md5.digest('hex');
    }),
    'MiB',
  );

  // A ListObjectsV2 page of 1,000 keys, as listing.ts writes it.
  const now = new Date();
  const page: ObjectInfo[] = Array.from({ length: 1000 }, (_, i) => ({
    bucket: 'bench',
    key: `photos/2026/11/27/IMG_${String(i).padStart(6, '0')}.jpg`,
    sizeBytes: 1_048_576 + i,
    etag: createHash('md5').update(String(i)).digest('hex'),
    lastModified: now,
    versionId: 'null',
    isDeleteMarker: false,
    isLatest: true,
    metadata: {},
    storageClass: '',
  }));
  report(
    'ListObjectsV2 page XML, 1,000 keys (contentsXml)',
    measure(() => page.map((o) => contentsXml(o, undefined, false)).join('')),
    'pages',
  );

  // A version record as every drive stores it (lmdb-js's msgpack, RECORD_ENCODING).
  const packr = new Packr({ useRecords: RECORD_ENCODING.useRecords });
  const bytes = packr.pack(objectRecordV2);
  if (decodeStoredObjectRecord(bytes).versions.length !== objectRecordV2.versions.length) {
    throw new Error('the record did not round-trip');
  }
  report(
    `version record encode (${objectRecordV2.versions.length} versions, ${bytes.byteLength} bytes)`,
    measure(() => packr.pack(objectRecordV2)),
    'records',
  );
  report(
    `version record decode + validate (${bytes.byteLength} bytes)`,
    measure(() => decodeStoredObjectRecord(bytes)),
    'records',
  );
}

main();
