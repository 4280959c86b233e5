/** Command line of `npm run bench:compare`. */
import { parseArgs } from 'node:util';
import { parseDuration } from '../load/units.js';

export const COMPARE_USAGE = `Usage: npm run bench:compare [-- options]

Starts Strata (4 temp drives, 2+2) and s3rver on loopback, runs the same matrix against each
(and against every --peer), prints a table with the ratio Strata/peer, and writes
bench/results/compare-<time>.json, bench/results/latest.json and bench/results/latest.svg.

Matrix: PUT and GET of 1 MiB and 16 MiB at concurrency 1, 4, 16; 4 KiB PUT+GET at 16 and 64;
full ListObjectsV2 passes over a 100,000-object prefix.

Options:
  --quick                 smoke run: 2s per cell, 2,000 objects to list, fewer objects to GET
  --duration D            timed phase per cell and peer       (default 10s; --quick 2s)
  --list-objects N        objects in the listed prefix        (default 100000; --quick 2000)
  --cells A,B             only cells whose id contains A or B (e.g. put-1MiB,small)
  --peer name=URL         also measure http://ACCESS:SECRET@host:port[?region=R]; repeatable
  --no-s3rver             do not start s3rver
  --client http|sdk       the load generator's S3 client       (default http)
  --strata-ref REF        measure commit REF (exported and built in a temp dir) instead of
                          the working tree
  --no-build              use the existing dist/ (skip npm run build)
  --prepare-concurrency N PUTs in flight while preparing        (default 32)
  --results-dir DIR       where to write the results           (default bench/results)
  --quiet                 no per-second progress lines
  -h, --help`;

export interface CompareOptions {
  quick: boolean;
  durationMs: number;
  listObjects: number | undefined;
  cells: string[];
  peers: string[];
  s3rver: boolean;
  client: 'http' | 'sdk';
  strataRef: string | undefined;
  build: boolean;
  prepareConcurrency: number;
  resultsDir: string | undefined;
  progress: boolean;
}

export type ParsedCompareArgs = { help: true } | { help: false; options: CompareOptions };

export function parseCompareArgs(argv: readonly string[]): ParsedCompareArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    allowNegative: true,
    strict: true,
    options: {
      quick: { type: 'boolean' },
      duration: { type: 'string' },
      'list-objects': { type: 'string' },
      cells: { type: 'string' },
      peer: { type: 'string', multiple: true },
      s3rver: { type: 'boolean' },
      client: { type: 'string' },
      'strata-ref': { type: 'string' },
      build: { type: 'boolean' },
      'prepare-concurrency': { type: 'string' },
      'results-dir': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return { help: true };
  if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}"`);
  const quick = values.quick ?? false;
  const durationMs = parseDuration(values.duration ?? (quick ? '2s' : '10s'));
  if (durationMs <= 0) throw new Error('--duration must be positive');
  const count = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 1)
      throw new Error(`--${name} must be a whole number ≥ 1, got "${text}"`);
    return n;
  };
  const client = values.client ?? 'http';
  if (client !== 'http' && client !== 'sdk') throw new Error(`--client must be http or sdk, got "${client}"`);
  return {
    help: false,
    options: {
      quick,
      durationMs,
      listObjects: count('list-objects', values['list-objects']),
      cells: (values.cells ?? '').split(',').filter((s) => s !== ''),
      peers: values.peer ?? [],
      s3rver: values.s3rver ?? true,
      client,
      strataRef: values['strata-ref'],
      build: values.build ?? true,
      prepareConcurrency: count('prepare-concurrency', values['prepare-concurrency']) ?? 32,
      resultsDir: values['results-dir'],
      progress: !(values.quiet ?? false),
    },
  };
}
