/**
 * What a comparison run produces: the JSON record, the Markdown tables (figure per peer and the
 * ratio Strata/peer) and the machine line.
 */
import { formatNumber } from '../load/units.js';
import type { Cell } from './matrix.js';

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  node: string;
  platform: string;
  memoryGiB: number;
  date: string;
  loadAverageStart: number[];
  loadAverageEnd?: number[];
}

export interface PeerInfo {
  name: string;
  kind: 'strata' | 's3rver' | 'external';
  endpoint: string;
  version: string;
  /** How it was started (command line, drives, durability notes). */
  description: string;
}

export interface CellResult {
  peer: string;
  /** The cell's figure (MiB/s, ops/s or keys/s); null when the cell failed. */
  value: number | null;
  /** The same figure per CPU-second of the server process (peers this run started). */
  perServerCpuSecond: number | null;
  serverCpuSeconds: number | null;
  clientCpuSeconds: number;
  errors: number;
  /** Why the cell failed or what went wrong (first error messages). */
  problems: string[];
  latencyMs: { p50: number; p90: number; p99: number } | null;
  elapsedMs: number;
  prepare?: { objects: number; seconds: number; objectsPerSec: number };
}

export interface CompareReport {
  machine: MachineInfo;
  startedAt: string;
  finishedAt: string;
  /** Per-cell duration of the timed phase. */
  durationMs: number;
  client: string;
  peers: PeerInfo[];
  cells: { cell: Cell; results: CellResult[] }[];
  notes: string[];
}

/** "0.85×"; an em dash when either side is missing or zero. */
export function formatRatio(strata: number | null | undefined, peer: number | null | undefined): string {
  if (strata === null || strata === undefined || peer === null || peer === undefined || peer <= 0) return '—';
  const ratio = strata / peer;
  return `${ratio.toFixed(ratio >= 100 ? 0 : ratio >= 10 ? 1 : 2)}×`;
}

function figure(r: CellResult | undefined, pick: (r: CellResult) => number | null): string {
  if (!r) return '—';
  const v = pick(r);
  if (v === null) return r.value === null ? 'failed' : '—';
  return r.errors > 0 ? `${formatNumber(v)} (${formatNumber(r.errors)} err)` : formatNumber(v);
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/**
 * A Markdown table: one row per cell, a column per peer, and after each other peer the ratio
 * Strata/peer. The first peer is Strata. `perCpu` shows figures per server CPU-second instead.
 */
export function comparisonTable(report: CompareReport, perCpu = false): string {
  const [strata, ...others] = report.peers;
  if (!strata) return '';
  const header = ['cell', perCpu ? 'per server CPU-second' : 'unit', strata.name];
  for (const p of others) header.push(p.name, `${strata.name}/${p.name}`);
  const align = header.map((_, i) => (i < 2 ? '---' : '---:'));
  const pick = (r: CellResult): number | null => (perCpu ? r.perServerCpuSecond : r.value);
  const rows = report.cells.map(({ cell, results }) => {
    const byPeer = new Map(results.map((r) => [r.peer, r]));
    const s = byPeer.get(strata.name);
    const row = [cell.label, perCpu ? cell.unit.replace('/s', '') : cell.unit, figure(s, pick)];
    for (const p of others) {
      const r = byPeer.get(p.name);
      row.push(figure(r, pick), formatRatio(s ? pick(s) : null, r ? pick(r) : null));
    }
    return row;
  });
  return [header, align, ...rows].map((row) => `| ${row.map(escapeCell).join(' | ')} |`).join('\n');
}

/** `nproc 2, AMD EPYC ..., 24 GiB, Node v20.20.2, linux, 2026-11-26, load average 4.8 at start`. */
export function machineLine(m: MachineInfo): string {
  const load = (l: number[] | undefined): string => (l ? l.map((v) => v.toFixed(1)).join('/') : '?');
  return (
    `nproc ${m.nproc}, ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}, ${m.date.slice(0, 10)}, ` +
    `load average (1/5/15 min) ${load(m.loadAverageStart)} at start, ${load(m.loadAverageEnd)} at end`
  );
}
