/**
 * Server memory under many concurrent huge transfers (issue 4: "RSS stays under 300 MiB while
 * serving 64 concurrent 1 GiB PUTs and GETs").
 *
 *   npm run build && npx tsx bench/memory.bench.ts [--size 1GiB] [--concurrency 64] [--drives 4]
 *       [--parity N] [--get-size SIZE] [--get-objects 4] [--dir DIR] [--keep-free 5GiB]
 *       [--threadpool N] [--sample-ms 50] [--root DIR | --ref REF] [--no-build] [--node-arg X]
 *
 * Starts `node DIR/bin/strata.js server` (default: this checkout, built first) on `--drives`
 * fresh directories under `--dir` (default the OS temp dir), then:
 *   1. warm-up: one 8 MiB PUT and GET, so lazily loaded code counts in the idle figure;
 *   2. PUT: `--concurrency` PutObjects of `--size` each, all started at once, bodies streamed
 *      from a shared 2 MiB pattern (views, never object-sized buffers) with UNSIGNED-PAYLOAD;
 *   3. the PUT objects are deleted (disk space), then `--get-objects` objects of `--get-size`
 *      are written one at a time ("get-prepare");
 *   4. GET: `--concurrency` GetObjects at once, reader i reading object i mod `--get-objects`;
 *      every body is hashed (SHA-256) while it streams and compared with the digest of what
 *      was written.
 * A sampler thread reads /proc/<server pid>/status every `--sample-ms`: the peak of VmRSS and
 * RssAnon per phase. VmHWM (the kernel's own resident peak, which no sampling interval can
 * miss) is reset at each phase start by writing 5 to /proc/<pid>/clear_refs and read at its end.
 * RssAnon leaves out file-backed pages (LMDB's memory map, the node binary), which the kernel
 * can drop; VmRSS includes them.
 *
 * Disk: every PUT of `--size` stores size × drives / data-shards bytes, all in flight at once
 * (the objects finish together, so deleting each one after its ack would not lower the peak).
 * The run refuses to start unless that, or the GET objects, fit with `--keep-free` to spare.
 * The libuv threadpool: UV_THREADPOOL_SIZE is removed from the server's environment (libuv's
 * default, 4) unless `--threadpool N` sets it.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { HttpS3Api } from './load/http-s3-api.js';
import { bodyChunks, makePattern, offsetOf } from './load/pattern.js';
import type { PatternBody } from './load/s3-api.js';
import { parseSize } from './load/units.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CREDENTIALS = { accessKeyId: 'strata-memory', secretAccessKey: 'strata-memory-secret' };
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const BUCKET = 'memory-bench';
const WARM_BYTES = 8 * MiB;
const PHASES = ['idle', 'put', 'delete', 'get-prepare', 'get'] as const;
type Phase = (typeof PHASES)[number];
/** Int32 slots per phase in the shared sample table (see SAMPLER_SOURCE). */
const SLOTS = 6;
const [MAX_ANON, MAX_RSS, MAX_ANON_AT_MS, SAMPLES, MAX_GAP_MS, MAX_RSS_FILE] = [0, 1, 2, 3, 4, 5];

/**
 * The sampler runs in a worker thread so that the client's busy event loop (64 bodies hashed)
 * does not stretch the interval. ctl[0]: current phase index (-1 stops), ctl[1]: wait word.
 * table[phase * SLOTS + slot]: kB maxima, ms of the RssAnon peak since the phase began, sample
 * count, the longest gap between two samples.
 */
const SAMPLER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const { pid, ctlBuf, tableBuf, everyMs, slots } = workerData;
const ctl = new Int32Array(ctlBuf);
const table = new Int32Array(tableBuf);
const field = (text, name) => Number(new RegExp('^' + name + ':\\\\s+(\\\\d+)', 'm').exec(text)?.[1] ?? 0);
let phase = -2, phaseStart = 0, last = 0;
for (;;) {
  const p = Atomics.load(ctl, 0);
  if (p < 0) break;
  const now = performance.now();
  if (p !== phase) { phase = p; phaseStart = now; last = 0; }
  let status;
  try { status = readFileSync('/proc/' + pid + '/status', 'utf8'); } catch { break; }
  const b = phase * slots;
  const anon = field(status, 'RssAnon');
  if (anon > table[b]) { table[b] = anon; table[b + 2] = Math.round(now - phaseStart); }
  table[b + 1] = Math.max(table[b + 1], field(status, 'VmRSS'));
  table[b + 5] = Math.max(table[b + 5], field(status, 'RssFile'));
  table[b + 3]++;
  if (last > 0) table[b + 4] = Math.max(table[b + 4], Math.round(now - last));
  last = now;
  Atomics.wait(ctl, 1, 0, everyMs);
}
`;

/** The server's own view (prom-client default metrics), scraped about once a second. */
interface ProcessMemory {
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
}

function scrapeMemory(endpoint: string): Promise<ProcessMemory | null> {
  return new Promise((resolveScrape) => {
    const req = httpGet(`${endpoint}/strata/v1/metrics`, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => {
        const metric = (name: string): number =>
          Number(new RegExp(`^strata_${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN);
        resolveScrape(
          res.statusCode === 200
            ? {
                heapUsedBytes: metric('nodejs_heap_size_used_bytes'),
                heapTotalBytes: metric('nodejs_heap_size_total_bytes'),
                externalBytes: metric('nodejs_external_memory_bytes'),
              }
            : null,
        );
      });
    });
    req.on('error', () => resolveScrape(null));
  });
}

interface PhaseFigures {
  phase: Phase;
  seconds: number;
  bytes: number;
  /** Kernel peak of VmRSS within the phase (VmHWM after a reset at its start); -1 if unavailable. */
  hwmKiB: number;
  maxRssKiB: number;
  maxAnonKiB: number;
  maxFileKiB: number;
  anonPeakAtSeconds: number;
  samples: number;
  maxGapMs: number;
  /** Largest V8 heap (total) and external memory (ArrayBuffers, Buffers) scraped in the phase, in bytes. */
  maxHeapTotalBytes: number;
  maxExternalBytes: number;
}

function statusKiB(pid: number, name: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? -1);
}

/** Resets the kernel's peak-RSS mark (VmHWM) of `pid` to its current RSS; false if not allowed. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

function gib(bytes: number): string {
  return `${(bytes / GiB).toFixed(1)} GiB`;
}

function mib(kib: number): string {
  return kib < 0 ? 'n/a' : `${(kib / 1024).toFixed(1)}`;
}

function dataShardsFor(drives: number, parity: number | undefined): number {
  // The server's default parity table (storage/index.ts): 1 → 0, 2–3 → 1, 4–5 → 2, 6–7 → 3, 8–16 → 4.
  const m = parity ?? (drives === 1 ? 0 : drives < 4 ? 1 : drives < 6 ? 2 : drives < 8 ? 3 : 4);
  return drives - m;
}

/** A built Strata tree: the checkout (after `npm run build`) or `git archive REF` built in a temp dir. */
function strataRoot(opts: { root?: string; ref?: string; build: boolean }): {
  root: string;
  dispose(): void;
} {
  if (opts.root) return { root: resolve(opts.root), dispose: () => {} };
  if (!opts.ref) {
    if (opts.build) {
      const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
      if (r.status !== 0) throw new Error('npm run build failed (output above)');
    }
    return { root: REPO_ROOT, dispose: () => {} };
  }
  const root = mkdtempSync(join(tmpdir(), 'strata-memory-src-'));
  const dispose = (): void => rmSync(root, { recursive: true, force: true });
  const archive = spawnSync(
    'sh',
    ['-c', 'git archive --format=tar "$1" | tar -x -C "$2"', 'sh', opts.ref, root],
    {
      cwd: REPO_ROOT,
      stdio: 'inherit',
    },
  );
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
  const tsc =
    archive.status === 0
      ? spawnSync(join(REPO_ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], {
          cwd: root,
          stdio: 'inherit',
        })
      : archive;
  if (tsc.status !== 0) {
    dispose();
    throw new Error(`cannot export and build ${opts.ref} (output above)`);
  }
  return { root, dispose };
}

function patternBody(pattern: Buffer, key: string, sizeBytes: number): PatternBody {
  return { sizeBytes, chunks: () => bodyChunks(pattern, offsetOf(key), sizeBytes) };
}

function expectedSha256(pattern: Buffer, key: string, sizeBytes: number): string {
  const h = createHash('sha256');
  for (const chunk of bodyChunks(pattern, offsetOf(key), sizeBytes)) h.update(chunk);
  return h.digest('hex');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '1GiB' },
      concurrency: { type: 'string', default: '64' },
      drives: { type: 'string', default: '4' },
      parity: { type: 'string' },
      'get-size': { type: 'string' },
      'get-objects': { type: 'string', default: '4' },
      dir: { type: 'string' },
      'keep-free': { type: 'string', default: '5GiB' },
      threadpool: { type: 'string' },
      'sample-ms': { type: 'string', default: '50' },
      root: { type: 'string' },
      ref: { type: 'string' },
      'no-build': { type: 'boolean', default: false },
      'node-arg': { type: 'string', multiple: true, default: [] },
    },
  });
  const sizeBytes = parseSize(values.size);
  const getSizeBytes = parseSize(values['get-size'] ?? values.size);
  const concurrency = Number(values.concurrency);
  const driveCount = Number(values.drives);
  const parity = values.parity === undefined ? undefined : Number(values.parity);
  const getObjects = Math.min(Number(values['get-objects']), concurrency);
  const keepFree = parseSize(values['keep-free']);
  const sampleMs = Number(values['sample-ms']);
  const baseDir = resolve(values.dir ?? tmpdir());

  // Every shard file of every PUT in flight exists at once: size × n / k per object.
  const k = dataShardsFor(driveCount, parity);
  const putDisk = (concurrency * sizeBytes * driveCount) / k;
  const getDisk = (getObjects * getSizeBytes * driveCount) / k;
  const needed = Math.max(putDisk, getDisk) + 2 * WARM_BYTES;
  const free = freeBytes(baseDir);
  if (free - needed < keepFree) {
    process.stdout.write(
      `SKIPPED: ${concurrency} × ${gib(sizeBytes)} on ${driveCount} drives (${k} data shards) needs ` +
        `${gib(needed)} in ${baseDir}, which has ${gib(free)} free and must keep ${gib(keepFree)}; ` +
        'use --size, --drives 1, --dir or --keep-free\n',
    );
    return 0;
  }

  const { root, dispose } = strataRoot({ root: values.root, ref: values.ref, build: !values['no-build'] });
  const dataDir = mkdtempSync(join(baseDir, 'strata-memory-'));
  const drives = Array.from({ length: driveCount }, (_, i) => join(dataDir, `drive${i + 1}`));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    STRATA_ROOT_USER: CREDENTIALS.accessKeyId,
    STRATA_ROOT_PASSWORD: CREDENTIALS.secretAccessKey,
    STRATA_REGION: 'us-east-1',
    STRATA_LOG_LEVEL: 'warn',
    STRATA_PROMETHEUS_AUTH_TYPE: 'public',
  };
  delete env.UV_THREADPOOL_SIZE;
  if (values.threadpool) env.UV_THREADPOOL_SIZE = values.threadpool;
  const args = [...values['node-arg'], join(root, 'bin', 'strata.js'), 'server', '--address', '127.0.0.1:0'];
  if (parity !== undefined) args.push('--parity', String(parity));
  const child = spawn(process.execPath, [...args, ...drives], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let serverOut = '';
  const ctl = new Int32Array(new SharedArrayBuffer(8));
  const table = new Int32Array(new SharedArrayBuffer(PHASES.length * SLOTS * 4));
  let sampler: Worker | null = null;
  let api: HttpS3Api | null = null;
  const timers: NodeJS.Timeout[] = [];
  try {
    const endpoint = await new Promise<string>((ok, fail) => {
      const onData = (s: string): void => {
        serverOut = (serverOut + s).slice(-16_384);
        const m = /Endpoint:\s*(http:\/\/127\.0\.0\.1:\d+)/.exec(serverOut);
        if (m) ok(m[1] as string);
      };
      child.stdout.setEncoding('utf8').on('data', onData);
      child.stderr.setEncoding('utf8').on('data', onData);
      child.once('exit', (code) => fail(new Error(`strata exited (${code}):\n${serverOut}`)));
    });
    const pid = child.pid as number;
    api = new HttpS3Api({ endpoint, region: 'us-east-1', ...CREDENTIALS }, concurrency);
    const pattern = makePattern(4);
    const hwmResets = resetPeak(pid);

    const figures: PhaseFigures[] = [];
    let phaseStart = 0;
    let phaseBytes = 0;
    let maxHeap = 0;
    let maxExternal = 0;
    let scraping = false;
    const scraper = setInterval(() => {
      if (scraping) return;
      scraping = true;
      void scrapeMemory(endpoint).then((m) => {
        scraping = false;
        if (m === null) return;
        maxHeap = Math.max(maxHeap, m.heapTotalBytes);
        maxExternal = Math.max(maxExternal, m.externalBytes);
      });
    }, 1000);
    timers.push(scraper);
    const begin = (phase: Phase): void => {
      maxHeap = 0;
      maxExternal = 0;
      resetPeak(pid);
      Atomics.store(ctl, 0, PHASES.indexOf(phase));
      phaseStart = performance.now();
      phaseBytes = 0;
    };
    const end = (phase: Phase): PhaseFigures => {
      const seconds = (performance.now() - phaseStart) / 1000;
      const b = PHASES.indexOf(phase) * SLOTS;
      const f: PhaseFigures = {
        phase,
        seconds,
        bytes: phaseBytes,
        hwmKiB: hwmResets ? statusKiB(pid, 'VmHWM') : -1,
        maxRssKiB: table[b + MAX_RSS] as number,
        maxAnonKiB: table[b + MAX_ANON] as number,
        maxFileKiB: table[b + MAX_RSS_FILE] as number,
        anonPeakAtSeconds: (table[b + MAX_ANON_AT_MS] as number) / 1000,
        samples: table[b + SAMPLES] as number,
        maxGapMs: table[b + MAX_GAP_MS] as number,
        maxHeapTotalBytes: maxHeap,
        maxExternalBytes: maxExternal,
      };
      figures.push(f);
      process.stderr.write(
        `${phase}: ${seconds.toFixed(1)} s, VmHWM ${mib(f.hwmKiB)} MiB, RssAnon max ${mib(f.maxAnonKiB)} MiB\n`,
      );
      return f;
    };

    await api.createBucket(BUCKET);
    await api.putObject(BUCKET, 'warm', patternBody(pattern, 'warm', WARM_BYTES));
    await api.getObject(BUCKET, 'warm', () => {});
    await api.deleteObject(BUCKET, 'warm');

    sampler = new Worker(SAMPLER_SOURCE, {
      eval: true,
      workerData: { pid, ctlBuf: ctl.buffer, tableBuf: table.buffer, everyMs: sampleMs, slots: SLOTS },
    });
    begin('idle');
    await new Promise((r) => setTimeout(r, 1000));
    end('idle');

    const errors: string[] = [];
    const putKeys = Array.from({ length: concurrency }, (_, i) => `put/${i}`);
    begin('put');
    const progress = setInterval(() => {
      process.stderr.write(
        `  ${((performance.now() - phaseStart) / 1000).toFixed(0)} s, RssAnon ${mib(statusKiB(pid, 'RssAnon'))} MiB\n`,
      );
    }, 10_000);
    timers.push(progress);
    await Promise.all(
      putKeys.map((key) =>
        (api as HttpS3Api).putObject(BUCKET, key, patternBody(pattern, key, sizeBytes)).then(
          () => {
            phaseBytes += sizeBytes;
          },
          (err: unknown) => void errors.push(`PUT ${key}: ${(err as Error).message}`),
        ),
      ),
    );
    const put = end('put');

    begin('delete');
    for (const key of putKeys) await api.deleteObject(BUCKET, key);
    end('delete');

    const getKeys = Array.from({ length: getObjects }, (_, i) => `get/${i}`);
    begin('get-prepare');
    for (const key of getKeys) {
      await api.putObject(BUCKET, key, patternBody(pattern, key, getSizeBytes));
      phaseBytes += getSizeBytes;
    }
    end('get-prepare');
    const digests = new Map(getKeys.map((key) => [key, expectedSha256(pattern, key, getSizeBytes)]));

    begin('get');
    let verified = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async (_, i) => {
        const key = getKeys[i % getObjects] as string;
        const hash = createHash('sha256');
        try {
          const n = await (api as HttpS3Api).getObject(BUCKET, key, (chunk) => hash.update(chunk));
          phaseBytes += n;
          if (n === getSizeBytes && hash.digest('hex') === digests.get(key)) verified++;
          else errors.push(`GET ${key} (reader ${i}): ${n} bytes, digest differs or short`);
        } catch (err) {
          errors.push(`GET ${key} (reader ${i}): ${(err as Error).message}`);
        }
      }),
    );
    const get = end('get');
    for (const t of timers) clearInterval(t);
    for (const key of getKeys) await api.deleteObject(BUCKET, key);

    const peak = figures.reduce((a, b) => (b.hwmKiB > a.hwmKiB ? b : a));
    const peakAnon = figures.reduce((a, b) => (b.maxAnonKiB > a.maxAnonKiB ? b : a));
    const rate = (f: PhaseFigures): string => (f.bytes / MiB / Math.max(f.seconds, 1e-9)).toFixed(0);
    const node = execFileSync(process.execPath, ['--version'], { encoding: 'utf8' }).trim();
    const lines = [
      `strata ${root === REPO_ROOT ? 'checkout' : root}, node ${node}, ${driveCount} drives (${k} data + ${driveCount - k} parity) in ${dataDir}`,
      `UV_THREADPOOL_SIZE ${env.UV_THREADPOOL_SIZE ?? 'unset (4)'}; ${concurrency} PUTs of ${gib(sizeBytes)}, ` +
        `${concurrency} GETs of ${getObjects} × ${gib(getSizeBytes)}; sampled every ${sampleMs} ms; load ${loadavg()[0]?.toFixed(1)}`,
      '',
      '| phase | seconds | MiB/s | VmHWM MiB | VmRSS max MiB | RssAnon max MiB (at s) | RssFile max MiB | V8 heap max MiB | external max MiB | samples (max gap ms) |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...figures.map(
        (f) =>
          `| ${f.phase} | ${f.seconds.toFixed(1)} | ${f.bytes > 0 ? rate(f) : ''} | ${mib(f.hwmKiB)} | ${mib(f.maxRssKiB)} | ` +
          `${mib(f.maxAnonKiB)} (${f.anonPeakAtSeconds.toFixed(1)}) | ${mib(f.maxFileKiB)} | ` +
          `${mib(f.maxHeapTotalBytes / 1024)} | ${mib(f.maxExternalBytes / 1024)} | ${f.samples} (${f.maxGapMs}) |`,
      ),
      '',
      `peak VmHWM ${mib(peak.hwmKiB)} MiB in ${peak.phase}; peak RssAnon ${mib(peakAnon.maxAnonKiB)} MiB in ${peakAnon.phase}; ` +
        `PUT ${rate(put)} MiB/s, GET ${rate(get)} MiB/s; ${verified} of ${concurrency} GET bodies verified; ${errors.length} errors`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    for (const e of errors.slice(0, 10)) process.stdout.write(`  error: ${e}\n`);
    process.stdout.write(
      `${JSON.stringify({ sizeBytes, getSizeBytes, concurrency, driveCount, dataShards: k, threadpool: env.UV_THREADPOOL_SIZE ?? null, figures, errors: errors.length, verified })}\n`,
    );
    return errors.length === 0 ? 0 : 1;
  } finally {
    for (const t of timers) clearInterval(t);
    Atomics.store(ctl, 0, -1);
    Atomics.notify(ctl, 1);
    await sampler?.terminate();
    api?.close();
    if (child.exitCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
    dispose();
  }
}

process.exitCode = await main();
