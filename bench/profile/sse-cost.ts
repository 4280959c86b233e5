/**
 * What server-side encryption costs (issue 5): alternating load-generator runs with different
 * `--sse` modes against one running server, and the median, spread and ratio per cell.
 *
 *     npx tsx bench/profile/sse-cost.ts [--endpoint http://127.0.0.1:9000] [--pid PID]
 *         [--modes none,s3] [--cells put-c4,get-c4,get-c1] [--size 16MiB] [--rounds 3]
 *         [--duration 20s] [--objects 16]
 *
 * Start the server yourself (it needs STRATA_KMS_SECRET_KEY for s3/kms, STRATA_SSEC_ALLOW_HTTP=1
 * for c over plain HTTP); credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, else
 * strataadmin. With `--pid` the server's CPU time (all threads, /proc) in the timed phase is
 * reported in ms per MiB. Each round runs every cell once per mode, the modes' order reversed
 * every other round, so a drift in the shared machine's load falls on all modes alike.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { processCpuSeconds } from '../compare/peers.js';
import { runLoad } from '../load/run.js';
import { isSseMode, type SseMode } from '../load/s3-api.js';
import { parseDuration, parseSize } from '../load/units.js';

interface Cell {
  name: string;
  workload: 'put' | 'get';
  concurrency: number;
}

interface Sample {
  mibPerSec: number;
  serverMsPerMib: number | undefined;
  clientMsPerMib: number;
  p50Ms: number;
  load: string;
}

function parseCell(text: string): Cell {
  const m = /^(put|get)-c(\d+)$/.exec(text);
  if (!m) throw new Error(`a cell is put-cN or get-cN, got "${text}"`);
  return { name: text, workload: m[1] as 'put' | 'get', concurrency: Number(m[2]) };
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function spread(values: readonly number[], digits: number): string {
  return `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      endpoint: { type: 'string' },
      pid: { type: 'string' },
      modes: { type: 'string' },
      cells: { type: 'string' },
      size: { type: 'string' },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      objects: { type: 'string' },
    },
  });
  const endpoint = values.endpoint ?? process.env.STRATA_BENCH_ENDPOINT ?? 'http://127.0.0.1:9000';
  const pid = values.pid === undefined ? undefined : Number(values.pid);
  const modes = (values.modes ?? 'none,s3').split(',').map((m) => {
    if (!isSseMode(m)) throw new Error(`unknown --sse mode "${m}"`);
    return m;
  });
  const cells = (values.cells ?? 'put-c4,get-c4,get-c1').split(',').map(parseCell);
  const sizeBytes = parseSize(values.size ?? '16MiB');
  const rounds = Number(values.rounds ?? 3);
  const durationMs = parseDuration(values.duration ?? '20s');
  const samples = new Map<string, Sample[]>();

  for (let round = 1; round <= rounds; round++) {
    const order: SseMode[] = round % 2 === 1 ? modes : [...modes].reverse();
    for (const cell of cells) {
      for (const sse of order) {
        let cpuBefore: number | undefined;
        let cpuAfter: number | undefined;
        const r = await runLoad({
          workload: cell.workload,
          target: {
            endpoint,
            region: 'us-east-1',
            accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'strataadmin',
            secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'strataadmin',
          },
          client: 'http',
          sse,
          bucket: 'strata-sse-cost',
          sizeBytes,
          partSizeBytes: 5 * 1024 * 1024,
          concurrency: cell.concurrency,
          durationMs,
          maxOps: 0,
          objects: Number(values.objects ?? 16),
          prepareConcurrency: 4,
          keep: false,
          seed: round,
          progress: false,
          onTimedPhase: (edge) => {
            if (edge === 'start') cpuBefore = processCpuSeconds(pid);
            else cpuAfter = processCpuSeconds(pid);
          },
        });
        const mib = r.total.bytes / 1024 / 1024;
        const serverMsPerMib =
          cpuBefore === undefined || cpuAfter === undefined
            ? undefined
            : (1000 * (cpuAfter - cpuBefore)) / Math.max(mib, 1e-9);
        const sample: Sample = {
          mibPerSec: r.total.mibPerSec,
          serverMsPerMib,
          clientMsPerMib: (r.clientCpu.userMs + r.clientCpu.systemMs) / Math.max(mib, 1e-9),
          p50Ms: r.total.latencyMs.p50,
          load: readFileSync('/proc/loadavg', 'utf8').split(' ')[0] ?? '?',
        };
        const key = `${cell.name} ${sse}`;
        samples.set(key, [...(samples.get(key) ?? []), sample]);
        process.stdout.write(
          `round ${round} ${cell.name} sse=${sse}: ${sample.mibPerSec.toFixed(1)} MiB/s, ${r.total.ops} ops, ` +
            `${r.errors} errors, p50 ${sample.p50Ms.toFixed(0)} ms, server ` +
            `${serverMsPerMib === undefined ? '-' : serverMsPerMib.toFixed(2)} ms/MiB, client ` +
            `${sample.clientMsPerMib.toFixed(2)} ms/MiB, load ${sample.load}\n`,
        );
        for (const e of r.errorSamples) process.stdout.write(`  error: ${e.count} × ${e.message}\n`);
        if (r.finalCheck && !r.finalCheck.ok)
          process.stdout.write(`  final check: ${r.finalCheck.problem}\n`);
      }
    }
  }

  const base = modes[0] as SseMode;
  process.stdout.write(
    `\n| cell | --sse | runs | MiB/s median | MiB/s min–max | vs ${base} | server ms/MiB median (min–max) |\n` +
      '| --- | --- | ---: | ---: | ---: | ---: | ---: |\n',
  );
  for (const cell of cells) {
    const baseMedian = median((samples.get(`${cell.name} ${base}`) ?? []).map((s) => s.mibPerSec));
    for (const sse of modes) {
      const list = samples.get(`${cell.name} ${sse}`) ?? [];
      const mibs = list.map((s) => s.mibPerSec);
      const cpu = list.flatMap((s) => (s.serverMsPerMib === undefined ? [] : [s.serverMsPerMib]));
      process.stdout.write(
        `| ${cell.name} | ${sse} | ${list.length} | ${median(mibs).toFixed(1)} | ${spread(mibs, 1)} | ` +
          `${(median(mibs) / baseMedian).toFixed(2)}× | ` +
          `${cpu.length ? `${median(cpu).toFixed(2)} (${spread(cpu, 2)})` : '-'} |\n`,
      );
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`sse-cost: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
