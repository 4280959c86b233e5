import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { buildMatrix } from './matrix.js';
import { parseCompareArgs } from './options.js';
import { parsePeerSpec, processCpuSeconds } from './peers.js';
import { type CellResult, type CompareReport, comparisonTable, formatRatio, machineLine } from './report.js';
import { comparisonSvg, escapeXml } from './svg.js';

function result(peer: string, value: number | null, extra: Partial<CellResult> = {}): CellResult {
  return {
    peer,
    value,
    perServerCpuSecond: value === null ? null : value * 2,
    serverCpuSeconds: 1,
    clientCpuSeconds: 0.5,
    errors: 0,
    problems: [],
    latencyMs: null,
    elapsedMs: 10_000,
    ...extra,
  };
}

const [put, , , , , , , , , , , , small, , , smallGet, list] = buildMatrix({ quick: false });

const report: CompareReport = {
  machine: {
    nproc: 2,
    cpuModel: 'AMD EPYC',
    node: 'v20.20.2',
    platform: 'linux',
    memoryGiB: 24,
    date: '2026-11-26T12:00:00.000Z',
    loadAverageStart: [3.14, 2, 1],
    loadAverageEnd: [4, 3, 2],
  },
  startedAt: '2026-11-26T12:00:00.000Z',
  finishedAt: '2026-11-26T12:10:00.000Z',
  durationMs: 10_000,
  client: 'http',
  peers: [
    { name: 'strata', kind: 'strata', endpoint: 'http://127.0.0.1:1', version: 'abc123', description: '' },
    { name: 's3rver', kind: 's3rver', endpoint: 'http://127.0.0.1:2', version: '3.7.1', description: '' },
    { name: 'a&b<c>', kind: 'external', endpoint: 'http://127.0.0.1:3', version: '', description: '' },
  ],
  cells: [
    {
      cell: put!,
      results: [result('strata', 50), result('s3rver', 100), result('a&b<c>', 25, { errors: 3 })],
    },
    { cell: small!, results: [result('strata', 1234.5), result('s3rver', null, { problems: ['refused'] })] },
    { cell: list!, results: [result('strata', 0), result('s3rver', 0), result('a&b<c>', 10)] },
  ],
  notes: [],
};

describe('matrix', () => {
  it('has the cells of the issue by default', () => {
    const ids = buildMatrix({ quick: false }).map((c) => c.id);
    expect(ids).toEqual([
      'put-1MiB-c1',
      'put-1MiB-c4',
      'put-1MiB-c16',
      'get-1MiB-c1',
      'get-1MiB-c4',
      'get-1MiB-c16',
      'put-16MiB-c1',
      'put-16MiB-c4',
      'put-16MiB-c16',
      'get-16MiB-c1',
      'get-16MiB-c4',
      'get-16MiB-c16',
      'small-4KiB-c16',
      'small-4KiB-c64',
      'put-4KiB-c64',
      'get-4KiB-c64',
      'list-100000',
    ]);
    expect(smallGet?.metric).toBe('opsPerSec');
    expect(smallGet?.objects).toBeGreaterThan(0);
    expect(list?.objects).toBe(100_000);
    expect(list?.metric).toBe('keysPerSec');
    expect(small?.metric).toBe('opsPerSec');
  });

  it('shrinks the list for --quick or --list-objects and filters by id', () => {
    expect(buildMatrix({ quick: true }).at(-1)?.id).toBe('list-2000');
    expect(buildMatrix({ quick: true, listObjects: 50 }).at(-1)?.objects).toBe(50);
    expect(buildMatrix({ quick: false, only: ['16MiB-c16', 'small'] }).map((c) => c.id)).toEqual([
      'put-16MiB-c16',
      'get-16MiB-c16',
      'small-4KiB-c16',
      'small-4KiB-c64',
    ]);
  });
});

describe('table', () => {
  it('formats ratios Strata/peer', () => {
    expect(formatRatio(50, 100)).toBe('0.50×');
    expect(formatRatio(150, 100)).toBe('1.50×');
    expect(formatRatio(1234, 100)).toBe('12.3×');
    expect(formatRatio(50, 0)).toBe('—');
    expect(formatRatio(null, 100)).toBe('—');
    expect(formatRatio(50, undefined)).toBe('—');
  });

  it('prints a row per cell with each figure, errors, failures and the ratios', () => {
    const lines = comparisonTable(report).split('\n');
    expect(lines[0]).toBe('| cell | unit | strata | s3rver | strata/s3rver | a&b<c> | strata/a&b<c> |');
    expect(lines[1]).toBe('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
    expect(lines[2]).toBe('| PUT 1 MiB, c=1 | MiB/s | 50 | 100 | 0.50× | 25 (3 err) | 2.00× |');
    expect(lines[3]).toBe('| 4 KiB PUT+GET, c=16 | ops/s | 1,235 | failed | — | — | — |');
    expect(lines[4]).toBe('| LIST 100,000 keys, c=1 | keys/s | 0 | 0 | — | 10 | 0.00× |');
  });

  it('prints figures per server CPU-second', () => {
    expect(comparisonTable(report, true).split('\n')[2]).toBe(
      '| PUT 1 MiB, c=1 | MiB | 100 | 200 | 0.50× | 50 (3 err) | 2.00× |',
    );
  });

  it('names the machine', () => {
    expect(machineLine(report.machine)).toBe(
      'nproc 2, AMD EPYC, 24 GiB, Node v20.20.2, linux, 2026-11-26, load average (1/5/15 min) 3.1/2.0/1.0 at start, 4.0/3.0/2.0 at end',
    );
  });
});

describe('svg', () => {
  it('is well-formed XML with a bar per figure and escaped names', () => {
    const svg = comparisonSvg(report);
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    // 7 figures (one failed, one missing): 7 bars + 1 background + 3 legend squares.
    expect(svg.match(/<rect /g)?.length).toBe(1 + 3 + 7);
    expect(svg).toContain('a&amp;b&lt;c&gt;');
    expect(svg).toContain('strata/s3rver 0.50×');
    expect(svg).toContain('>failed<');
    expect(svg).toContain('>not run<');
  });

  it('scales each group to its best figure', () => {
    const svg = comparisonSvg(report);
    expect(svg).toContain('width="250.0"'); // strata 50 of s3rver's 100 in a 500-pixel area
    expect(svg).toContain('width="500.0"');
  });

  it('escapes the five XML specials', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});

describe('options and peers', () => {
  it('reads the comparison options', () => {
    const parsed = parseCompareArgs([
      '--quick',
      '--peer',
      'minio=http://a:b@127.0.0.1:9000',
      '--peer',
      'x=http://c:d@127.0.0.1:1',
      '--no-s3rver',
      '--cells',
      'put,small',
      '--no-build',
    ]);
    expect(parsed).toMatchObject({
      help: false,
      options: {
        quick: true,
        durationMs: 2000,
        peers: ['minio=http://a:b@127.0.0.1:9000', 'x=http://c:d@127.0.0.1:1'],
        s3rver: false,
        cells: ['put', 'small'],
        build: false,
        client: 'http',
        listObjects: undefined,
      },
    });
    const full = parseCompareArgs(['--duration', '30s', '--list-objects', '500']);
    expect(full).toMatchObject({
      options: { quick: false, durationMs: 30_000, listObjects: 500, s3rver: true },
    });
    expect(() => parseCompareArgs(['--list-objects', '0'])).toThrow(/--list-objects/);
    expect(() => parseCompareArgs(['extra'])).toThrow(/unexpected/);
  });

  it('takes credentials and region from a --peer URL', () => {
    const peer = parsePeerSpec('minio=http://AK%2F1:s%40cret@127.0.0.1:9000/?region=eu-west-1', {});
    expect(peer.info.name).toBe('minio');
    expect(peer.target).toEqual({
      endpoint: 'http://127.0.0.1:9000',
      accessKeyId: 'AK/1',
      secretAccessKey: 's@cret',
      region: 'eu-west-1',
    });
    expect(peer.ephemeral).toBe(false);
    expect(
      parsePeerSpec('m=http://127.0.0.1:1', { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' }).target,
    ).toMatchObject({ accessKeyId: 'a', secretAccessKey: 'b', region: 'us-east-1' });
    expect(() => parsePeerSpec('http://127.0.0.1:1', {})).toThrow(/name=URL/);
    expect(() => parsePeerSpec('m=http://127.0.0.1:1', {})).toThrow(/credentials/);
    expect(() => parsePeerSpec('m=https://a:b@host', {})).toThrow(/http:/);
  });

  it('reads the CPU time of a process from /proc', () => {
    const seconds = processCpuSeconds(process.pid);
    if (process.platform === 'linux') expect(seconds).toBeGreaterThan(0);
    expect(processCpuSeconds(undefined)).toBeUndefined();
  });
});
