import { describe, expect, it } from 'vitest';
import { formatDuration, formatNumber, formatSize, parseDuration, parseSize } from './units.js';

describe('parseSize', () => {
  it.each([
    ['4KiB', 4096],
    ['1MiB', 1024 * 1024],
    ['16MiB', 16 * 1024 * 1024],
    ['1 GiB', 1024 ** 3],
    ['1.5MiB', 1.5 * 1024 * 1024],
    ['4kb', 4000],
    ['1MB', 1_000_000],
    ['2k', 2048],
    ['4096', 4096],
    ['0', 0],
    ['10B', 10],
  ])('reads %s as %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', 'MiB', '4 XiB', '-1KiB', '1.5', '1e3', '4 KiB extra'])('rejects "%s"', (text) => {
    expect(() => parseSize(text)).toThrow();
  });
});

describe('parseDuration', () => {
  it.each([
    ['10s', 10_000],
    ['500ms', 500],
    ['2m', 120_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    ['30', 30_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 's', '10x', '10 s', '1m30', 'ten seconds'])('rejects "%s"', (text) => {
    expect(() => parseDuration(text)).toThrow();
  });
});

describe('formatting', () => {
  it('prints sizes in the largest binary unit', () => {
    expect(formatSize(4096)).toBe('4 KiB');
    expect(formatSize(16 * 1024 * 1024)).toBe('16 MiB');
    expect(formatSize(1536)).toBe('1.5 KiB');
    expect(formatSize(100)).toBe('100 B');
  });

  it('prints durations in seconds or milliseconds', () => {
    expect(formatDuration(10_000)).toBe('10s');
    expect(formatDuration(1_530)).toBe('1.5s');
    expect(formatDuration(250)).toBe('250ms');
  });

  it('prints about three significant digits and whole counts without decimals', () => {
    expect(formatNumber(12_345.6)).toBe('12,346');
    expect(formatNumber(123.4)).toBe('123');
    expect(formatNumber(12.34)).toBe('12.3');
    expect(formatNumber(1.234)).toBe('1.23');
    expect(formatNumber(0.1234)).toBe('0.123');
    expect(formatNumber(64)).toBe('64');
    expect(formatNumber(0)).toBe('0');
  });
});
