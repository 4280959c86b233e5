/**
 * The cells `npm run bench:compare` measures on every peer: PUT and GET of 1 MiB and 16 MiB
 * objects at 1, 4 and 16 requests in flight, 4 KiB PUT+GET at 16 and 64, 4 KiB PUT alone and GET
 * alone at 64, and full listings of a 100,000-object prefix. `--quick` keeps every cell but shrinks what must be prepared.
 */
import { formatSize } from '../load/units.js';

const KiB = 1024;
const MiB = 1024 * 1024;

export type CellMetric = 'mibPerSec' | 'opsPerSec' | 'keysPerSec';

export interface Cell {
  /** Stable identifier, e.g. put-1MiB-c4 (filters, JSON). */
  id: string;
  /** Human label, e.g. "PUT 1 MiB, c=4". */
  label: string;
  workload: 'put' | 'get' | 'small' | 'list';
  sizeBytes: number;
  concurrency: number;
  metric: CellMetric;
  unit: 'MiB/s' | 'ops/s' | 'keys/s';
  /** get: objects read at random; list: objects in the listed prefix. */
  objects?: number;
}

export interface MatrixOptions {
  quick: boolean;
  /** Objects in the listed prefix (default 100,000; --quick 2,000). */
  listObjects?: number;
  /** Keep only cells whose id contains one of these strings. */
  only?: readonly string[];
}

/** Objects prepared for the GET cells of one size (read at random; all fit in the page cache). */
export function getObjectsFor(sizeBytes: number, quick: boolean): number {
  if (sizeBytes >= 16 * MiB) return quick ? 8 : 32;
  return quick ? 16 : 128;
}

function sizeId(bytes: number): string {
  return formatSize(bytes).replace(' ', '');
}

export function buildMatrix(opts: MatrixOptions): Cell[] {
  const cells: Cell[] = [];
  for (const sizeBytes of [MiB, 16 * MiB]) {
    for (const workload of ['put', 'get'] as const) {
      for (const concurrency of [1, 4, 16]) {
        cells.push({
          id: `${workload}-${sizeId(sizeBytes)}-c${concurrency}`,
          label: `${workload.toUpperCase()} ${formatSize(sizeBytes)}, c=${concurrency}`,
          workload,
          sizeBytes,
          concurrency,
          metric: 'mibPerSec',
          unit: 'MiB/s',
          ...(workload === 'get' ? { objects: getObjectsFor(sizeBytes, opts.quick) } : {}),
        });
      }
    }
  }
  for (const concurrency of [16, 64]) {
    cells.push({
      id: `small-4KiB-c${concurrency}`,
      label: `4 KiB PUT+GET, c=${concurrency}`,
      workload: 'small',
      sizeBytes: 4 * KiB,
      concurrency,
      metric: 'opsPerSec',
      unit: 'ops/s',
    });
  }
  // Issue 4's small-object targets name PUT and GET apart: each alone, at 64 in flight.
  for (const workload of ['put', 'get'] as const) {
    cells.push({
      id: `${workload}-4KiB-c64`,
      label: `${workload.toUpperCase()} 4 KiB, c=64`,
      workload,
      sizeBytes: 4 * KiB,
      concurrency: 64,
      metric: 'opsPerSec',
      unit: 'ops/s',
      ...(workload === 'get' ? { objects: getObjectsFor(4 * KiB, opts.quick) } : {}),
    });
  }
  const listObjects = opts.listObjects ?? (opts.quick ? 2_000 : 100_000);
  cells.push({
    id: `list-${listObjects}`,
    label: `LIST ${listObjects.toLocaleString('en-US')} keys, c=1`,
    workload: 'list',
    sizeBytes: 0,
    concurrency: 1,
    metric: 'keysPerSec',
    unit: 'keys/s',
    objects: listObjects,
  });
  const only = opts.only?.filter((s) => s !== '');
  return only && only.length > 0 ? cells.filter((c) => only.some((s) => c.id.includes(s))) : cells;
}
