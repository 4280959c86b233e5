/**
 * Summarizes a V8 `.cpuprofile` (from `node --cpu-prof`): self time by function and by
 * script, the share of (idle), (garbage collector) and (program), and optionally the
 * inclusive time of functions whose name matches a filter.
 *
 *     npx tsx bench/profile/cpuprofile-summary.ts FILE.cpuprofile [--top 30] [--inclusive REGEX]
 *
 * Only the profiled thread (the main thread) is in the file: time the libuv threadpool
 * spends (fs writes, fdatasync, Reed-Solomon, node:crypto's async calls) is not. Use
 * bench/profile/profile-server.ts, which also reports CPU per thread group, to see both.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  gcMs: number;
  programMs: number;
  /** Self time by `function (script:line)`, largest first. */
  byFunction: { name: string; ms: number }[];
  /** Self time by script (node: internals, node_modules package, our files). */
  byScript: { name: string; ms: number }[];
  /** Inclusive time of frames whose function name matches the filter. */
  inclusive: { name: string; ms: number }[];
}

/** Groups a script URL: `node:internal/...`, a node_modules package, or the file below the repo. */
function scriptGroup(url: string): string {
  if (url === '') return '(native / VM)';
  if (url.startsWith('node:')) return url;
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return `npm:${rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const dist = url.lastIndexOf('/dist/');
  return dist >= 0 ? url.slice(dist + '/dist/'.length) : basename(url);
}

export function summarizeProfile(profile: CpuProfile, inclusiveFilter?: RegExp): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; attribute it to that sample (V8's convention).
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }

  const fn = new Map<string, number>();
  const script = new Map<string, number>();
  const incl = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let gc = 0;
  let program = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') idle += us;
    else if (functionName === '(garbage collector)') gc += us;
    else if (functionName === '(program)') program += us;
    const name = `${functionName || '(anonymous)'} (${scriptGroup(url)}:${lineNumber + 1})`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    const group = functionName === '(idle)' ? '(idle)' : scriptGroup(url);
    if (group !== '(idle)') script.set(group, (script.get(group) ?? 0) + us);
    if (inclusiveFilter) {
      // Count each matching frame once per sample, however deep the recursion.
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const f = byId.get(at)?.callFrame;
        if (!f || !inclusiveFilter.test(f.functionName)) continue;
        const key = `${f.functionName} (${scriptGroup(f.url)}:${f.lineNumber + 1})`;
        if (seen.has(key)) continue;
        seen.add(key);
        incl.set(key, (incl.get(key) ?? 0) + us);
      }
    }
  }
  const sorted = (m: Map<string, number>) =>
    [...m].map(([name, us]) => ({ name, ms: us / 1000 })).sort((a, b) => b.ms - a.ms);
  return {
    totalMs: total / 1000,
    idleMs: idle / 1000,
    gcMs: gc / 1000,
    programMs: program / 1000,
    byFunction: sorted(fn),
    byScript: sorted(script),
    inclusive: sorted(incl),
  };
}

export function formatSummary(s: ProfileSummary, top: number): string {
  const busy = s.totalMs - s.idleMs;
  const pct = (ms: number) => `${((100 * ms) / Math.max(busy, 1e-9)).toFixed(1).padStart(5)} %`;
  const lines = [
    `sampled ${(s.totalMs / 1000).toFixed(2)} s; main thread busy ${(busy / 1000).toFixed(2)} s ` +
      `(${((100 * busy) / Math.max(s.totalMs, 1e-9)).toFixed(0)} %), GC ${pct(s.gcMs).trim()} of busy, ` +
      `(program) ${pct(s.programMs).trim()}`,
    '',
    'self time by script (share of busy):',
    ...s.byScript.slice(0, top).map((e) => `  ${pct(e.ms)}  ${e.ms.toFixed(0).padStart(7)} ms  ${e.name}`),
    '',
    'self time by function (share of busy):',
    ...s.byFunction
      .filter((e) => !e.name.startsWith('(idle)'))
      .slice(0, top)
      .map((e) => `  ${pct(e.ms)}  ${e.ms.toFixed(0).padStart(7)} ms  ${e.name}`),
  ];
  if (s.inclusive.length > 0) {
    lines.push(
      '',
      'inclusive time of matching functions (share of busy):',
      ...s.inclusive.slice(0, top).map((e) => `  ${pct(e.ms)}  ${e.ms.toFixed(0).padStart(7)} ms  ${e.name}`),
    );
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string' }, inclusive: { type: 'string' } },
  });
  const file = positionals[0];
  if (!file) {
    process.stderr.write('usage: cpuprofile-summary.ts FILE.cpuprofile [--top N] [--inclusive REGEX]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const filter = values.inclusive ? new RegExp(values.inclusive) : undefined;
  process.stdout.write(`${formatSummary(summarizeProfile(profile, filter), Number(values.top ?? 30))}\n`);
}
