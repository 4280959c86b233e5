/**
 * The comparison as a hand-written SVG chart: one group of horizontal bars per cell (a bar per
 * peer, Strata first), each group scaled to its own best figure because the units differ
 * (MiB/s, ops/s, keys/s), the figure at the end of each bar and the ratio Strata/peer beside
 * every other peer's bar.
 */
import { formatNumber } from '../load/units.js';
import { type CompareReport, formatRatio, machineLine } from './report.js';

const WIDTH = 980;
const LABEL_WIDTH = 200;
const BAR_AREA = 500;
const BAR_HEIGHT = 16;
const BAR_GAP = 3;
const GROUP_GAP = 14;
const TOP = 92;
const COLORS = ['#2b6cb0', '#dd6b20', '#2f855a', '#805ad5', '#b7791f', '#c53030'];

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}"${attrs ? ` ${attrs}` : ''}>${escapeXml(content)}</text>`;
}

export function comparisonSvg(report: CompareReport): string {
  const peers = report.peers;
  const strata = peers[0]?.name;
  const groupHeight = peers.length * (BAR_HEIGHT + BAR_GAP) - BAR_GAP;
  const height = TOP + report.cells.length * (groupHeight + GROUP_GAP) + 40;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ` +
      `font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`);
  parts.push(
    text(
      16,
      24,
      `Strata vs ${
        peers
          .slice(1)
          .map((p) => p.name)
          .join(', ') || '(no peer)'
      }: npm run bench:compare`,
      'font-size="16" font-weight="bold"',
    ),
  );
  parts.push(text(16, 42, machineLine(report.machine), 'fill="#555555" font-size="11"'));
  parts.push(
    text(
      16,
      58,
      `${report.durationMs / 1000}s per cell, client ${report.client}; bars scaled per cell; ratio = ${strata ?? 'Strata'} ÷ peer (> 1: ${strata ?? 'Strata'} is faster)`,
      'fill="#555555" font-size="11"',
    ),
  );
  let legendX = 16;
  for (const [i, p] of peers.entries()) {
    parts.push(`<rect x="${legendX}" y="68" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`);
    const label = `${p.name} ${p.version}`;
    parts.push(text(legendX + 16, 78, label));
    legendX += 28 + label.length * 7;
  }

  let y = TOP;
  for (const { cell, results } of report.cells) {
    const byPeer = new Map(results.map((r) => [r.peer, r]));
    const best = Math.max(0, ...results.map((r) => r.value ?? 0));
    const strataValue = strata === undefined ? null : (byPeer.get(strata)?.value ?? null);
    parts.push(text(16, y + groupHeight / 2 + 4, cell.label, 'font-weight="bold"'));
    parts.push(text(16, y + groupHeight / 2 + 17, cell.unit, 'fill="#555555" font-size="11"'));
    for (const [i, p] of peers.entries()) {
      const r = byPeer.get(p.name);
      const barY = y + i * (BAR_HEIGHT + BAR_GAP);
      const value = r?.value ?? null;
      if (value === null) {
        parts.push(text(LABEL_WIDTH, barY + BAR_HEIGHT - 4, r ? 'failed' : 'not run', 'fill="#c53030"'));
      } else {
        const length = best > 0 ? Math.max(1, (value / best) * BAR_AREA) : 1;
        parts.push(
          `<rect x="${LABEL_WIDTH}" y="${barY}" width="${length.toFixed(1)}" height="${BAR_HEIGHT}" fill="${COLORS[i % COLORS.length]}"/>`,
        );
        const errors = r && r.errors > 0 ? ` (${formatNumber(r.errors)} errors)` : '';
        parts.push(text(LABEL_WIDTH + length + 6, barY + BAR_HEIGHT - 4, `${formatNumber(value)}${errors}`));
      }
      if (i > 0) {
        const ratio = formatRatio(strataValue, value);
        parts.push(
          text(
            WIDTH - 16,
            barY + BAR_HEIGHT - 4,
            `${strata}/${p.name} ${ratio}`,
            'text-anchor="end" fill="#333333"',
          ),
        );
      }
    }
    y += groupHeight + GROUP_GAP;
  }
  parts.push(
    text(
      16,
      height - 14,
      `${report.startedAt}; latencies, CPU and errors per cell in the JSON written next to this chart`,
      'fill="#555555" font-size="11"',
    ),
  );
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
