/**
 * Parsing and printing of the sizes, durations and rates the load generator takes and reports.
 * Binary units are powers of 1024 (KiB, MiB, GiB), decimal ones powers of 1000 (KB, MB, GB), as
 * warp and the AWS CLI read them; a bare number is bytes (sizes) or seconds (durations).
 */

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
};

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Bytes in `text` ("4KiB", "1 MiB", "16MiB", "1.5GB", "4096"); throws on anything else. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = SIZE_UNITS[(m?.[2] ?? '').toLowerCase() || 'b'];
  if (!m?.[1] || unit === undefined) {
    throw new Error(`not a size: "${text}" (use e.g. 4KiB, 1MiB, 16MiB, 1GB or a byte count)`);
  }
  const bytes = Number(m[1]) * unit;
  if (!Number.isSafeInteger(bytes)) throw new Error(`not a whole number of bytes: "${text}"`);
  return bytes;
}

/** Milliseconds in `text` ("10s", "500ms", "2m", "1m30s", "1h", "30" = 30 s); throws on anything else. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = part.exec(trimmed); m; m = part.exec(trimmed)) {
    total += Number(m[1]) * (DURATION_UNITS_MS[m[2] ?? ''] ?? 0);
    end = part.lastIndex;
  }
  if (trimmed === '' || end !== trimmed.length) {
    throw new Error(`not a duration: "${text}" (use e.g. 10s, 500ms, 2m, 1m30s)`);
  }
  return Math.round(total);
}

/** "4 KiB", "16 MiB", "1.5 GiB", "100 B": the largest binary unit that keeps the number ≥ 1. */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[i]}`;
}

/** "10s", "1.5s", "250ms". */
export function formatDuration(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(1))}s` : `${Math.round(ms)}ms`;
}

/**
 * A rate or figure with about three significant digits and thousands separators:
 * 12,345 / 123 / 12.3 / 1.23 / 0.123; whole numbers (counts) print without decimals.
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 100 || Number.isInteger(value) ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
