import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { errorResponse, withResponseHeaders } from './error-response.js';
import { S3Error } from './s3-errors.js';

function context(method = 'GET') {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
  return { lines, ctx: { method, resource: '/b/k', requestId: 'REQ1', hostId: 'HOST1', log } };
}

describe('errorResponse', () => {
  it('renders an S3Error as AWS XML with extra fields, resource and ids', () => {
    const { ctx } = context();
    const res = errorResponse(new S3Error('NoSuchKey', { extra: { Key: 'k&1' } }), ctx);
    expect(res.status).toBe(404);
    expect(res.headers?.['content-type']).toBe('application/xml');
    expect(res.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>' +
        '<Key>k&amp;1</Key><Resource>/b/k</Resource><RequestId>REQ1</RequestId><HostId>HOST1</HostId></Error>',
    );
  });

  it('answers unknown errors with a bare InternalError and logs the detail with its stack', () => {
    const { ctx, lines } = context();
    const res = errorResponse(new TypeError('secret internal detail'), ctx);
    expect(res.status).toBe(500);
    expect(res.body).toContain('<Code>InternalError</Code>');
    expect(res.body).not.toContain('secret internal detail');
    const logged = JSON.parse(lines[0] ?? '{}') as { err?: { stack?: string }; requestId?: string };
    expect(logged.err?.stack).toContain('secret internal detail');
    expect(logged.requestId).toBe('REQ1');
  });

  it('sends no body for HEAD and keeps attached headers', () => {
    const { ctx } = context('HEAD');
    const err = withResponseHeaders(new S3Error('InvalidRange'), { 'content-range': 'bytes */5' });
    expect(errorResponse(err, ctx)).toEqual({ status: 416, headers: { 'content-range': 'bytes */5' } });
  });
});
