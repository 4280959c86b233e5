/**
 * `npm run bench:compare`: Strata against s3rver (and any --peer) on this machine, same client,
 * same run. Servers it starts are stopped by handle at the end, also on error or Ctrl-C (a
 * second Ctrl-C kills them at once), and their temporary directories are removed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, platform, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { makePattern } from '../load/pattern.js';
import {
  createApi,
  deleteObjects,
  ensureBucket,
  type LoadOptions,
  prepareObjects,
  runLoad,
} from '../load/run.js';
import { formatNumber, formatSize } from '../load/units.js';
import { preparedKeys } from '../load/workloads.js';
import { buildMatrix, type Cell } from './matrix.js';
import { COMPARE_USAGE, type CompareOptions, parseCompareArgs } from './options.js';
import {
  buildStrata,
  killAllNow,
  type Peer,
  parsePeerSpec,
  processCpuSeconds,
  REPO_ROOT,
  type StrataBuild,
  startS3rver,
  startStrata,
} from './peers.js';
import {
  type CellResult,
  type CompareReport,
  comparisonTable,
  formatRatio,
  type MachineInfo,
  machineLine,
} from './report.js';
import { comparisonSvg } from './svg.js';

const SEED = 1;
const MAX_PROBLEMS_PER_CELL = 5;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function machineInfo(): MachineInfo {
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
    node: process.version,
    platform: `${platform()}`,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    date: new Date().toISOString(),
    loadAverageStart: loadavg(),
  };
}

/** Objects the GET cells of one size read, per peer: written once, read by every concurrency. */
class GetSets {
  private readonly sets = new Map<string, { prefix: string; keys: string[] }>();

  async get(peer: Peer, bucket: string, cell: Cell, opts: CompareOptions, signal: AbortSignal) {
    const id = `${peer.info.name}/${cell.sizeBytes}`;
    let set = this.sets.get(id);
    if (!set) {
      const prefix = `strata-compare/get-${cell.sizeBytes}/`;
      const keys = preparedKeys(prefix, cell.objects ?? 1);
      const api = createApi(opts.client, peer.target, opts.prepareConcurrency);
      try {
        const report = await prepareObjects(
          api,
          bucket,
          makePattern(SEED),
          keys,
          cell.sizeBytes,
          opts.prepareConcurrency,
          {
            progress: opts.progress,
            label: `${peer.info.name} get ${formatSize(cell.sizeBytes)}`,
            signal,
          },
        );
        log(
          `${peer.info.name}: prepared ${keys.length} objects of ${formatSize(cell.sizeBytes)} in ` +
            `${report.seconds.toFixed(1)}s (${formatNumber(report.mibPerSec)} MiB/s)`,
        );
      } finally {
        api.close();
      }
      set = { prefix, keys };
      this.sets.set(id, set);
    }
    return set;
  }

  /** Deletes the sets written to peers that keep their data (external endpoints). */
  async cleanup(peers: readonly Peer[], bucket: string, opts: CompareOptions): Promise<void> {
    for (const peer of peers) {
      if (peer.ephemeral || peer.exitReason()) continue;
      for (const [id, set] of this.sets) {
        if (!id.startsWith(`${peer.info.name}/`)) continue;
        const api = createApi(opts.client, peer.target, opts.prepareConcurrency);
        try {
          await deleteObjects(api, bucket, set.keys, opts.prepareConcurrency);
        } finally {
          api.close();
        }
      }
    }
  }
}

function failed(peer: Peer, problem: string): CellResult {
  return {
    peer: peer.info.name,
    value: null,
    perServerCpuSecond: null,
    serverCpuSeconds: null,
    clientCpuSeconds: 0,
    errors: 0,
    problems: [problem],
    latencyMs: null,
    elapsedMs: 0,
  };
}

async function runCell(
  peer: Peer,
  cell: Cell,
  bucket: string,
  opts: CompareOptions,
  getSets: GetSets,
  signal: AbortSignal,
): Promise<CellResult> {
  const gone = peer.exitReason();
  if (gone) return failed(peer, `the server ${gone}`);
  let cpuStart: number | undefined;
  let cpuEnd: number | undefined;
  const load: LoadOptions = {
    workload: cell.workload,
    target: peer.target,
    client: opts.client,
    bucket,
    sizeBytes: cell.sizeBytes,
    partSizeBytes: 5 * 1024 * 1024,
    concurrency: cell.concurrency,
    durationMs: opts.durationMs,
    maxOps: 0,
    objects: cell.objects ?? 0,
    prepareConcurrency: opts.prepareConcurrency,
    // A server started here takes its data along when it stops: 100,000 deletes would only cost time.
    keep: cell.workload === 'list' && peer.ephemeral,
    seed: SEED,
    progress: opts.progress,
    label: `${peer.info.name} ${cell.id}`,
    signal,
    onTimedPhase: (edge) => {
      if (edge === 'start') cpuStart = processCpuSeconds(peer.pid);
      else cpuEnd = processCpuSeconds(peer.pid);
    },
  };
  try {
    if (cell.workload === 'get') load.existing = await getSets.get(peer, bucket, cell, opts, signal);
    const r = await runLoad(load);
    if (r.prepare) {
      log(
        `${peer.info.name}: prepared ${formatNumber(r.prepare.objects)} objects of ${formatSize(r.prepare.sizeBytes)} ` +
          `in ${r.prepare.seconds.toFixed(1)}s (${formatNumber(r.prepare.objectsPerSec)} objects/s, ` +
          `${r.prepare.concurrency} in flight)`,
      );
    }
    const value = cell.metric === 'keysPerSec' ? (r.keysPerSec ?? 0) : r.total[cell.metric];
    const serverCpuSeconds = cpuStart !== undefined && cpuEnd !== undefined ? cpuEnd - cpuStart : null;
    const problems = [
      ...r.errorSamples.map((e) => `${e.count} × ${e.message}`),
      ...(r.finalCheck && !r.finalCheck.ok ? [`final check: ${r.finalCheck.problem}`] : []),
      ...r.notes,
    ].slice(0, MAX_PROBLEMS_PER_CELL);
    const goneAfter = peer.exitReason();
    if (goneAfter) problems.push(`the server ${goneAfter}`);
    const result: CellResult = {
      peer: peer.info.name,
      value,
      perServerCpuSecond:
        serverCpuSeconds !== null && serverCpuSeconds > 0
          ? (value * r.elapsedMs) / 1000 / serverCpuSeconds
          : null,
      serverCpuSeconds,
      clientCpuSeconds: (r.clientCpu.userMs + r.clientCpu.systemMs) / 1000,
      errors: r.errors,
      problems,
      latencyMs: { p50: r.total.latencyMs.p50, p90: r.total.latencyMs.p90, p99: r.total.latencyMs.p99 },
      elapsedMs: r.elapsedMs,
    };
    if (r.prepare) {
      result.prepare = {
        objects: r.prepare.objects,
        seconds: r.prepare.seconds,
        objectsPerSec: r.prepare.objectsPerSec,
      };
    }
    return result;
  } catch (err) {
    const gone = peer.exitReason();
    return failed(peer, `${(err as Error).message}${gone ? ` (the server ${gone})` : ''}`);
  }
}

function cellLine(cell: Cell, results: CellResult[], peers: readonly Peer[]): string {
  const strata = results.find((r) => r.peer === peers[0]?.info.name);
  const parts = peers.map((p) => {
    const r = results.find((x) => x.peer === p.info.name);
    const v = r?.value;
    const text = !r
      ? 'not run'
      : v === null || v === undefined
        ? 'failed'
        : `${formatNumber(v)} ${cell.unit}`;
    return p === peers[0]
      ? `${p.info.name} ${text}`
      : `${p.info.name} ${text} (${formatRatio(strata?.value, v)})`;
  });
  return `${cell.id}: ${parts.join(', ')}`;
}

function timestamp(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
}

export async function compareMain(argv: readonly string[]): Promise<number> {
  let opts: CompareOptions;
  try {
    const parsed = parseCompareArgs(argv);
    if (parsed.help) {
      process.stdout.write(`${COMPARE_USAGE}\n`);
      return 0;
    }
    opts = parsed.options;
  } catch (err) {
    process.stderr.write(`bench:compare: ${(err as Error).message}\n\n${COMPARE_USAGE}\n`);
    return 2;
  }
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) {
      killAllNow();
      process.exit(130);
    }
    log(
      'bench:compare: interrupted; stopping after the requests in flight (Ctrl-C again to kill the servers now)',
    );
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const started = new Date();
  const machine = machineInfo();
  const peers: Peer[] = [];
  const notes: string[] = [];
  const getSets = new GetSets();
  const bucket = 'strata-compare';
  const createdBuckets = new Set<Peer>();
  let exitCode = 0;
  let build: StrataBuild | undefined;
  try {
    const external = opts.peers.map((spec) => parsePeerSpec(spec));
    const names = new Set(['strata', 's3rver']);
    for (const p of external) {
      if (names.has(p.info.name)) throw new Error(`--peer name "${p.info.name}" is taken`);
      names.add(p.info.name);
    }
    build = buildStrata({ ref: opts.strataRef, build: opts.build });
    peers.push(await startStrata(build));
    log(`strata ${build.version}: ${peers[0]?.info.endpoint}`);
    if (opts.s3rver) {
      try {
        const s3rver = await startS3rver();
        peers.push(s3rver);
        log(`s3rver ${s3rver.info.version}: ${s3rver.info.endpoint}`);
      } catch (err) {
        notes.push(`s3rver did not start: ${(err as Error).message}`);
        log(`bench:compare: ${notes[notes.length - 1]}`);
      }
    }
    peers.push(...external);
    for (const peer of [...peers]) {
      const api = createApi(opts.client, peer.target, 1);
      try {
        if (await ensureBucket(api, bucket)) createdBuckets.add(peer);
      } catch (err) {
        notes.push(`${peer.info.name}: cannot create the bucket: ${(err as Error).message}; left out`);
        log(`bench:compare: ${notes[notes.length - 1]}`);
        if (peer !== peers[0]) peers.splice(peers.indexOf(peer), 1);
        else throw err;
      } finally {
        api.close();
      }
    }

    const cells = buildMatrix({ quick: opts.quick, listObjects: opts.listObjects, only: opts.cells });
    if (cells.length === 0) throw new Error(`no cell matches --cells ${opts.cells.join(',')}`);
    const results: CompareReport['cells'] = [];
    for (const [i, cell] of cells.entries()) {
      if (controller.signal.aborted) break;
      // The peer that goes first rotates, so a drift in the machine's load spreads over all of them.
      const order = peers.map((_, j) => peers[(i + j) % peers.length] as Peer);
      const cellResults: CellResult[] = [];
      for (const peer of order) {
        if (controller.signal.aborted) break;
        cellResults.push(await runCell(peer, cell, bucket, opts, getSets, controller.signal));
      }
      cellResults.sort(
        (a, b) =>
          peers.findIndex((p) => p.info.name === a.peer) - peers.findIndex((p) => p.info.name === b.peer),
      );
      results.push({ cell, results: cellResults });
      log(cellLine(cell, cellResults, peers));
      for (const r of cellResults) for (const problem of r.problems) log(`  ${r.peer}: ${problem}`);
    }
    if (controller.signal.aborted) {
      notes.push('interrupted: the results are partial');
      exitCode = 130;
    }
    machine.loadAverageEnd = loadavg();
    const report: CompareReport = {
      machine,
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      durationMs: opts.durationMs,
      client: opts.client,
      peers: peers.map((p) => p.info),
      cells: results,
      notes,
    };
    const dir = resolve(opts.resultsDir ?? join(REPO_ROOT, 'bench', 'results'));
    mkdirSync(dir, { recursive: true });
    const json = `${JSON.stringify(report, null, 2)}\n`;
    const stamped = join(dir, `compare-${timestamp(started)}.json`);
    writeFileSync(stamped, json);
    writeFileSync(join(dir, 'latest.json'), json);
    writeFileSync(join(dir, 'latest.svg'), comparisonSvg(report));
    process.stdout.write(
      `\n${machineLine(machine)}\n${formatNumber(opts.durationMs / 1000)}s per cell, client ${opts.client}\n\n` +
        `${comparisonTable(report)}\n\nPer CPU-second of the server process:\n\n${comparisonTable(report, true)}\n\n` +
        (notes.length > 0 ? `${notes.map((n) => `note: ${n}`).join('\n')}\n\n` : '') +
        `wrote ${stamped}, ${join(dir, 'latest.json')} and ${join(dir, 'latest.svg')}\n`,
    );
    if (results.some(({ results: rs }) => rs.some((r) => r.value === null || r.errors > 0))) exitCode ||= 1;
  } catch (err) {
    log(`bench:compare: ${(err as Error).message}`);
    for (const p of peers) {
      if (p.exitReason()) log(`--- ${p.info.name} output (tail) ---\n${p.output().slice(-4000)}`);
    }
    exitCode = 1;
  } finally {
    try {
      await getSets.cleanup(peers, bucket, opts);
      for (const peer of createdBuckets) {
        if (peer.ephemeral || peer.exitReason()) continue;
        const api = createApi(opts.client, peer.target, 1);
        await api.deleteBucket(bucket).catch(() => {});
        api.close();
      }
    } catch (err) {
      log(`bench:compare: cleanup: ${(err as Error).message}`);
    }
    for (const peer of peers) await peer.stop();
    build?.dispose();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return exitCode;
}

process.exitCode = await compareMain(process.argv.slice(2));
