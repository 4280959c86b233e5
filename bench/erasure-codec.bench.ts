/**
 * Reed-Solomon encode throughput for the geometries Strata uses, on 1 MiB blocks.
 *
 *   npx tsx bench/erasure-codec.bench.ts [seconds-per-case=2]
 *
 * - ronomon: RonomonCodec (native, libuv threadpool), one stripe in flight and two in
 *   flight (the encoder keeps at most one block coding while the next one fills; two
 *   concurrent PUTs double it). MB/s counts data bytes (not parity) per wall second and
 *   per CPU-second of the whole process (threadpool included).
 * - wasm: @subspace/reed-solomon-erasure.wasm (reed-solomon-erasure in Rust, WASM),
 *   synchronous on the event loop; skipped if it is not installed.
 * - pipeline: encodeObject of a 256 MiB body into no-op writers and decodeObject of it
 *   from memory (all data shards good, and one data shard missing → reconstruct), i.e.
 *   codec + bitrot hashing + copies + stream overhead.
 * Numbers seen are in bench/README.md.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { BufferPool } from '../storage/buffer-pool.js';
import { decodeObject } from '../storage/erasure/erasure-decode.js';
import { encodeObject } from '../storage/erasure/erasure-encode.js';
import { BLOCK_SIZE_BYTES, shardSizeFor } from '../storage/erasure/layout.js';
import { MemoryShardReader, MemoryShardWriter } from '../storage/erasure/memory-shards.js';
import { RonomonCodec } from '../storage/erasure/reed-solomon-codec.js';

const GEOMETRIES: [number, number][] = [
  [2, 2],
  [4, 2],
  [8, 4],
];
const secondsPerCase = Number(process.argv[2] ?? '2');

interface Rate {
  wallMBps: number;
  cpuMBps: number;
}

function stripeFor(k: number, m: number): { stripe: Buffer; shardSize: number } {
  const shardSize = shardSizeFor(BLOCK_SIZE_BYTES, k);
  const stripe = Buffer.alloc((k + m) * shardSize);
  randomBytes(BLOCK_SIZE_BYTES).copy(stripe);
  return { stripe, shardSize };
}

async function measureRonomon(k: number, m: number, inFlight: number): Promise<Rate> {
  const codec = new RonomonCodec(k, m);
  const lanes = Array.from({ length: inFlight }, () => stripeFor(k, m));
  for (const lane of lanes) await codec.encode(lane.stripe, lane.shardSize);
  const end = performance.now() + secondsPerCase * 1000;
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  let blocks = 0;
  await Promise.all(
    lanes.map(async (lane) => {
      while (performance.now() < end) {
        await codec.encode(lane.stripe, lane.shardSize);
        blocks++;
      }
    }),
  );
  return rate(blocks, wallStart, cpuStart);
}

function rate(blocks: number, wallStart: number, cpuStart: NodeJS.CpuUsage): Rate {
  const wallSeconds = (performance.now() - wallStart) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const megabytes = (blocks * BLOCK_SIZE_BYTES) / 1e6;
  return { wallMBps: megabytes / wallSeconds, cpuMBps: megabytes / ((cpu.user + cpu.system) / 1e6) };
}

interface WasmCodec {
  encode(shards: Uint8Array, dataShards: number, parityShards: number): number;
}
interface WasmModule {
  ReedSolomonErasure: { fromCurrentDirectory(): Promise<WasmCodec> };
}

async function loadWasm(): Promise<WasmCodec | null> {
  try {
    const mod = createRequire(import.meta.url)('@subspace/reed-solomon-erasure.wasm') as WasmModule;
    return await mod.ReedSolomonErasure.fromCurrentDirectory();
  } catch {
    return null;
  }
}

function measureWasm(wasm: WasmCodec, k: number, m: number): Rate {
  const { stripe } = stripeFor(k, m);
  if (wasm.encode(stripe, k, m) !== 0) throw new Error('wasm encode failed');
  const end = performance.now() + secondsPerCase * 1000;
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  let blocks = 0;
  while (performance.now() < end) {
    wasm.encode(stripe, k, m);
    blocks++;
  }
  return rate(blocks, wallStart, cpuStart);
}

const PIPELINE_BYTES = 256 * BLOCK_SIZE_BYTES;

function body(total: number): Readable {
  const chunk = randomBytes(256 * 1024);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      sent += chunk.byteLength;
      this.push(chunk);
    },
  });
}

async function measurePipeline(k: number, m: number): Promise<void> {
  const pool = new BufferPool({ budgetBytes: 64 * 1024 * 1024 });
  const codec = new RonomonCodec(k, m);
  const noop = { write: (): Promise<void> => Promise.resolve() };
  // Warm-up: JIT and the pool's first (page-faulting) stripes are not what we measure.
  await encodeObject(body(16 * BLOCK_SIZE_BYTES), {
    codec,
    writers: Array.from({ length: k + m }, () => noop),
    writeQuorum: k + m,
    expectedSizeBytes: -1,
    pool,
  });
  let wallStart = performance.now();
  let cpuStart = process.cpuUsage();
  await encodeObject(body(PIPELINE_BYTES), {
    codec,
    writers: Array.from({ length: k + m }, () => noop),
    writeQuorum: k + m,
    expectedSizeBytes: PIPELINE_BYTES,
    pool,
  });
  show(`encodeObject ${k}+${m}`, rate(PIPELINE_BYTES / BLOCK_SIZE_BYTES, wallStart, cpuStart));

  const writers = Array.from({ length: k + m }, () => new MemoryShardWriter());
  await encodeObject(body(PIPELINE_BYTES), {
    codec,
    writers,
    writeQuorum: k + m,
    expectedSizeBytes: -1,
    pool,
  });
  const shards = writers.map((w) => w.bytes());
  for (const missing of [-1, 0]) {
    wallStart = performance.now();
    cpuStart = process.cpuUsage();
    const stream = decodeObject({
      codec,
      readers: shards.map((s, i) => (i === missing ? null : new MemoryShardReader(s))),
      objectSizeBytes: PIPELINE_BYTES,
      offset: 0,
      length: PIPELINE_BYTES,
      onFault: () => undefined,
      pool,
    });
    for await (const _ of stream) {
      // drain
    }
    show(
      `decodeObject ${k}+${m}${missing < 0 ? '' : ' (shard 0 lost)'}`,
      rate(PIPELINE_BYTES / BLOCK_SIZE_BYTES, wallStart, cpuStart),
    );
  }
}

function show(name: string, r: Rate): void {
  console.log(
    `${name.padEnd(30)} ${r.wallMBps.toFixed(0).padStart(6)} MB/s wall ${r.cpuMBps.toFixed(0).padStart(6)} MB/s per CPU-second`,
  );
}

async function main(): Promise<void> {
  console.log(
    `1 MiB blocks, ${secondsPerCase}s per case, Node ${process.version}, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`,
  );
  const wasm = await loadWasm();
  for (const [k, m] of GEOMETRIES) {
    show(`ronomon ${k}+${m} (1 in flight)`, await measureRonomon(k, m, 1));
    show(`ronomon ${k}+${m} (2 in flight)`, await measureRonomon(k, m, 2));
    if (wasm !== null) show(`wasm ${k}+${m} (sync)`, measureWasm(wasm, k, m));
  }
  for (const [k, m] of GEOMETRIES) await measurePipeline(k, m);
  if (wasm === null) console.log('wasm: @subspace/reed-solomon-erasure.wasm not installed, skipped');
}

await main();
