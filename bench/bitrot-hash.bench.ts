/**
 * Which hash protects shard blocks against bitrot (storage/erasure/bitrot.ts)?
 *
 *   npx tsx bench/bitrot-hash.bench.ts [seconds-per-case=1]
 *
 * Hashes 512 KiB inputs (a 2+2 shard of a 1 MiB block) in a tight loop and reports
 * MB per CPU-second of this process (all candidates run synchronously on this thread),
 * best of three runs. Numbers seen are in bench/README.md.
 */
import { createHash, randomBytes } from 'node:crypto';
import { crc32c } from '@node-rs/crc32';
import { xxh3, xxh64 } from '@node-rs/xxhash';
import { createXXHash64 } from 'hash-wasm';

const INPUT_BYTES = 512 * 1024;
const RUNS = 3;
const secondsPerCase = Number(process.argv[2] ?? '1');

type Hasher = (input: Uint8Array) => unknown;

/** MB (10^6 bytes) hashed per CPU-second, best of RUNS. */
function measure(hash: Hasher, input: Uint8Array): number {
  let best = 0;
  for (let run = 0; run < RUNS; run++) {
    const wallEnd = performance.now() + secondsPerCase * 1000;
    const cpuStart = process.cpuUsage();
    let bytes = 0;
    while (performance.now() < wallEnd) {
      for (let i = 0; i < 16; i++) hash(input);
      bytes += 16 * input.byteLength;
    }
    const cpu = process.cpuUsage(cpuStart);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    best = Math.max(best, bytes / 1e6 / cpuSeconds);
  }
  return best;
}

async function main(): Promise<void> {
  const input = randomBytes(INPUT_BYTES);
  const wasmXxh64 = await createXXHash64();
  const candidates: [string, Hasher][] = [
    ['xxh64 (@node-rs/xxhash)', (b) => xxh64(b)],
    ['xxh3-64 (@node-rs/xxhash)', (b) => xxh3.xxh64(b)],
    ['xxh64 (hash-wasm)', (b) => wasmXxh64.init().update(b).digest('binary')],
    ['crc32c (@node-rs/crc32)', (b) => crc32c(b)],
    ['sha256 (node:crypto)', (b) => createHash('sha256').update(b).digest()],
  ];
  console.log(
    `input ${INPUT_BYTES} bytes, ${secondsPerCase}s x ${RUNS} runs per case, Node ${process.version}`,
  );
  for (const [name, hash] of candidates) {
    hash(input); // warm up (JIT, lazy native init)
    console.log(`${name.padEnd(28)} ${measure(hash, input).toFixed(0).padStart(7)} MB/s per core`);
  }
}

await main();
