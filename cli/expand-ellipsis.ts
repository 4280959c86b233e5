import { UsageError } from './usage-error.js';

/** `{start...end}`: three dots, no nested braces. Two dots (`{1..4}`) is shell syntax and left alone. */
const ELLIPSIS = /\{([^{}]*?)\.\.\.([^{}]*?)\}/g;

/** More drives than a server accepts; stops `{1...1000000}` before it allocates. */
const MAX_EXPANSION = 4096;

/**
 * Expands MinIO-style ellipses in one argument: `/mnt/disk{1...4}` → `/mnt/disk1` … `/mnt/disk4`.
 * A range is decimal (`{1...16}`; a leading zero pads to the start's width: `{01...16}` → `01` … `16`)
 * or single letters (`{a...d}`). Several ranges expand to their cartesian product, the leftmost
 * varying slowest. An argument without a range is returned unchanged. Throws UsageError for a
 * malformed or descending range.
 */
export function expandEllipsis(arg: string): string[] {
  const literals: string[] = [];
  const ranges: string[][] = [];
  let last = 0;
  for (const match of arg.matchAll(ELLIPSIS)) {
    literals.push(arg.slice(last, match.index));
    ranges.push(expandRange(match[1] ?? '', match[2] ?? '', arg));
    last = match.index + match[0].length;
  }
  literals.push(arg.slice(last));
  if (ranges.length === 0) {
    return [arg];
  }

  const total = ranges.reduce((n, values) => n * values.length, 1);
  if (total > MAX_EXPANSION) {
    throw new UsageError(`"${arg}" expands to ${total} values; at most ${MAX_EXPANSION} are allowed`);
  }

  let results = [literals[0] ?? ''];
  ranges.forEach((values, i) => {
    const suffix = literals[i + 1] ?? '';
    results = results.flatMap((prefix) => values.map((value) => prefix + value + suffix));
  });
  return results;
}

/** Expands every argument in order and concatenates the results. */
export function expandEllipses(args: readonly string[]): string[] {
  return args.flatMap(expandEllipsis);
}

function expandRange(start: string, end: string, arg: string): string[] {
  if (/^\d+$/.test(start) && /^\d+$/.test(end)) {
    const from = Number.parseInt(start, 10);
    const to = Number.parseInt(end, 10);
    checkAscending(from, to, arg);
    if (to - from >= MAX_EXPANSION) {
      throw new UsageError(
        `"${arg}" expands to ${to - from + 1} values; at most ${MAX_EXPANSION} are allowed`,
      );
    }
    const width = start.length > 1 && start.startsWith('0') ? start.length : 0;
    const values: string[] = [];
    for (let n = from; n <= to; n++) {
      values.push(String(n).padStart(width, '0'));
    }
    return values;
  }
  if (/^[a-z]$/.test(start) === /^[a-z]$/.test(end) && /^[a-zA-Z]$/.test(start) && /^[a-zA-Z]$/.test(end)) {
    const from = start.charCodeAt(0);
    const to = end.charCodeAt(0);
    checkAscending(from, to, arg);
    const values: string[] = [];
    for (let c = from; c <= to; c++) {
      values.push(String.fromCharCode(c));
    }
    return values;
  }
  throw new UsageError(
    `invalid range {${start}...${end}} in "${arg}": use numbers like {1...4} or letters like {a...d}`,
  );
}

function checkAscending(from: number, to: number, arg: string): void {
  if (from > to) {
    throw new UsageError(`invalid range in "${arg}": the start is greater than the end`);
  }
}
