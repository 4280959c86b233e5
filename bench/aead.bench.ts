/**
 * What does encryption at rest cost per core (crypto/, docs/encryption-format.md)?
 *
 *   npx tsx bench/aead.bench.ts [seconds-per-case=1]
 *
 * For AES-256-GCM and ChaCha20-Poly1305 with 64 KiB packages: sealing and opening single
 * packages (one node:crypto cipher per package, as the format requires), the same AEAD as
 * one long-lived cipher over the same bytes (the floor: what per-package set-up costs),
 * runs of 16 packages into reused buffers (PackageCipher.sealPackages/openPackages, with
 * native/aead and with node:crypto), and
 * the streaming Transforms end to end over 64 MiB fed in 1 MiB chunks. Reports MB (10^6
 * bytes of plaintext) and packages per CPU-second of this process, best of three runs.
 * Numbers seen are in bench/README.md ("Encryption").
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AEAD_ALGORITHMS,
  type AeadAlgorithm,
  createDecryptStream,
  createEncryptStream,
  nativeAeadAvailable,
  objectBinding,
  PACKAGE_PLAINTEXT_BYTES,
  sealedSize,
} from '../crypto/index.js';
import { PackageCipher } from '../crypto/package-cipher.js';

const RUNS = 3;
const STREAM_BYTES = 64 * 1024 * 1024;
const STREAM_CHUNK_BYTES = 1024 * 1024;
const secondsPerCase = Number(process.argv[2] ?? '1');

/** Best MB per CPU-second over RUNS runs of `step`, each step processing `bytesPerStep` plaintext bytes. */
async function measure(step: () => unknown | Promise<unknown>, bytesPerStep: number): Promise<number> {
  let best = 0;
  for (let run = 0; run < RUNS; run++) {
    const wallEnd = performance.now() + secondsPerCase * 1000;
    const cpuStart = process.cpuUsage();
    let bytes = 0;
    while (performance.now() < wallEnd) {
      await step();
      bytes += bytesPerStep;
    }
    const cpu = process.cpuUsage(cpuStart);
    best = Math.max(best, bytes / 1e6 / ((cpu.user + cpu.system) / 1e6));
  }
  return best;
}

function report(label: string, mbPerCpuSecond: number): void {
  const packages = (mbPerCpuSecond * 1e6) / PACKAGE_PLAINTEXT_BYTES;
  console.log(
    `${label.padEnd(46)} ${mbPerCpuSecond.toFixed(0).padStart(6)} MB/s per core  ${packages.toFixed(0).padStart(7)} packages/s`,
  );
}

async function main(): Promise<void> {
  console.log(`${secondsPerCase}s x ${RUNS} runs per case, best run; Node ${process.version}`);
  const key = randomBytes(32);
  const binding = objectBinding('bench', 'object');
  const plain = randomBytes(PACKAGE_PLAINTEXT_BYTES);
  const body = randomBytes(STREAM_CHUNK_BYTES);

  for (const aead of AEAD_ALGORITHMS) {
    const opts = { key, nonceBase: randomBytes(12), aead, binding };
    const cipher = new PackageCipher(opts);
    const batch = 16;
    let index = 0;
    report(
      `${aead} seal 64 KiB package`,
      await measure(() => {
        for (let i = 0; i < batch; i++) cipher.seal(plain, index++ % 1024, false);
      }, batch * plain.byteLength),
    );
    const [ct, tag] = cipher.seal(plain, 7, false);
    const sealed = Buffer.concat([ct, tag]);
    report(
      `${aead} open 64 KiB package`,
      await measure(() => {
        for (let i = 0; i < batch; i++) cipher.open(sealed, 7, false);
      }, batch * plain.byteLength),
    );
    report(`${aead} one long-lived cipher (floor)`, await longLived(aead, key, plain, batch));
    // Runs of 16 packages into reused buffers: native/aead when built, and node:crypto.
    const runPlain = randomBytes(batch * PACKAGE_PLAINTEXT_BYTES);
    const runSealed = Buffer.alloc(sealedSize(runPlain.byteLength));
    const runOut = Buffer.alloc(runPlain.byteLength);
    const engines = [
      ['native/aead', cipher],
      ['node:crypto', new PackageCipher(opts, null)],
    ] as const;
    for (const [engine, c] of engines) {
      if (engine === 'native/aead' && !nativeAeadAvailable()) continue;
      report(
        `${aead} seal run of 16, ${engine}`,
        await measure(() => c.sealPackages(runPlain, 0, false, runSealed), runPlain.byteLength),
      );
      report(
        `${aead} open run of 16, ${engine}`,
        await measure(() => c.openPackages(runSealed, 0, false, runOut), runPlain.byteLength),
      );
    }
    report(
      `${aead} createEncryptStream 64 MiB`,
      await measure(() => drain(createEncryptStream(opts), body), STREAM_BYTES),
    );
    const sealedBody = await collect(createEncryptStream(opts), body);
    report(
      `${aead} createDecryptStream 64 MiB`,
      await measure(() => drainSealed(createDecryptStream(opts), sealedBody), STREAM_BYTES),
    );
  }
  report(
    'MD5 (the ETag hash, for scale)',
    await measure(() => createHash('md5').update(plain).digest(), plain.byteLength),
  );
}

async function longLived(aead: AeadAlgorithm, key: Buffer, plain: Buffer, batch: number): Promise<number> {
  const name = (aead === 'AES-256-GCM' ? 'aes-256-gcm' : 'chacha20-poly1305') as 'aes-256-gcm';
  const cipher = createCipheriv(name, key, randomBytes(12), { authTagLength: 16 });
  return measure(() => {
    for (let i = 0; i < batch; i++) cipher.update(plain);
  }, batch * plain.byteLength);
}

/** Streams STREAM_BYTES of `chunk` (repeated) through `transform` into a sink that drops it. */
async function drain(transform: NodeJS.ReadWriteStream, chunk: Buffer): Promise<void> {
  const count = STREAM_BYTES / chunk.byteLength;
  await pipeline(
    Readable.from(
      (function* () {
        for (let i = 0; i < count; i++) yield chunk;
      })(),
    ),
    transform,
    new Writable({ write: (_c, _e, cb) => cb() }),
  );
}

/** The sealed form of STREAM_BYTES of `chunk`, as 1 MiB chunks. */
async function collect(transform: NodeJS.ReadWriteStream, chunk: Buffer): Promise<Buffer[]> {
  const count = STREAM_BYTES / chunk.byteLength;
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(
      (function* () {
        for (let i = 0; i < count; i++) yield chunk;
      })(),
    ),
    transform,
    new Writable({
      write: (c: Buffer, _e, cb) => {
        out.push(c);
        cb();
      },
    }),
  );
  const all = Buffer.concat(out);
  const chunks: Buffer[] = [];
  for (let pos = 0; pos < all.byteLength; pos += STREAM_CHUNK_BYTES) {
    chunks.push(all.subarray(pos, pos + STREAM_CHUNK_BYTES));
  }
  return chunks;
}

async function drainSealed(transform: NodeJS.ReadWriteStream, chunks: Buffer[]): Promise<void> {
  await pipeline(Readable.from(chunks), transform, new Writable({ write: (_c, _e, cb) => cb() }));
}

await main();
