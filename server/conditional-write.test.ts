import { describe, expect, it } from 'vitest';
import type { ObjectInfo } from '../storage/index.js';
import { writePrecondition } from './conditional-write.js';

const current = { etag: 'abc123' } as ObjectInfo;

function outcome(headers: Record<string, string>, cur: ObjectInfo | undefined): string {
  const check = writePrecondition(headers, 'k');
  if (check === undefined) return 'none';
  try {
    check(cur);
    return 'ok';
  } catch (err) {
    return (err as { code: string }).code;
  }
}

describe('writePrecondition', () => {
  it('is undefined without conditional headers', () => {
    expect(outcome({}, current)).toBe('none');
  });

  it.each([
    [{ 'if-none-match': '*' }, undefined, 'ok'],
    [{ 'if-none-match': '*' }, current, 'PreconditionFailed'],
    [{ 'if-none-match': '"abc123"' }, current, 'PreconditionFailed'],
    [{ 'if-none-match': 'abc123' }, current, 'PreconditionFailed'],
    [{ 'if-none-match': '"other"' }, current, 'ok'],
    [{ 'if-none-match': '"other"' }, undefined, 'ok'],
    [{ 'if-match': '*' }, undefined, 'NoSuchKey'],
    [{ 'if-match': '"abc123"' }, undefined, 'NoSuchKey'],
    [{ 'if-match': '*' }, current, 'ok'],
    [{ 'if-match': '"abc123"' }, current, 'ok'],
    [{ 'if-match': '"x", "abc123"' }, current, 'ok'],
    [{ 'if-match': '"other"' }, current, 'PreconditionFailed'],
    [{ 'if-match': '"abc123"', 'if-none-match': '*' }, current, 'PreconditionFailed'],
  ] as const)('%j against %j → %s', (headers, cur, want) => {
    expect(outcome(headers, cur)).toBe(want);
  });
});
