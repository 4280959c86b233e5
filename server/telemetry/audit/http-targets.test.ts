import { afterEach, describe, expect, it } from 'vitest';
import { ElasticTarget } from './elastic-target.js';
import { httpEndpoint } from './http-endpoint.js';
import { TestReceiver } from './test-receiver.js';
import { WebhookTarget } from './webhook-target.js';

const receivers: TestReceiver[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.stop();
});

async function receiver(mode: 'webhook' | 'elastic'): Promise<TestReceiver> {
  const r = await TestReceiver.start(mode);
  receivers.push(r);
  return r;
}

const never = new AbortController().signal;
const lines = [
  JSON.stringify({ requestId: 'A1', api: 'PutObject' }),
  JSON.stringify({ requestId: 'B2', api: 'GetObject' }),
];

describe('httpEndpoint', () => {
  it('moves URL credentials into a Basic Authorization header and out of the URL', () => {
    const e = httpEndpoint('https://us%40er:p%3Ass@es.example:9200/');
    expect(e.url.href).toBe('https://es.example:9200/');
    expect(e.authorization).toBe(`Basic ${Buffer.from('us@er:p:ss').toString('base64')}`);
  });

  it('prefers an explicit Authorization value', () => {
    expect(httpEndpoint('http://u:p@h/', 'Bearer t').authorization).toBe('Bearer t');
    expect(httpEndpoint('http://h/', '').authorization).toBeUndefined();
  });

  it('refuses other schemes', () => {
    expect(() => httpEndpoint('ftp://h/')).toThrow(TypeError);
  });
});

describe('WebhookTarget', () => {
  it('POSTs the batch as NDJSON with the Authorization header', async () => {
    const r = await receiver('webhook');
    const target = new WebhookTarget(httpEndpoint(`${r.url}/audit`, 'Bearer s3cret'));
    expect(await target.send(lines, never)).toEqual({ retry: [], rejected: [] });
    const [req] = r.requests;
    expect(req).toMatchObject({ method: 'POST', url: '/audit', body: `${lines.join('\n')}\n` });
    expect(req?.headers['content-type']).toBe('application/x-ndjson');
    expect(req?.headers.authorization).toBe('Bearer s3cret');
    expect(target.describe).not.toContain('s3cret');
  });

  it('fails on a non-2xx answer and when nobody listens', async () => {
    const r = await receiver('webhook');
    r.failNext = 1;
    const target = new WebhookTarget(httpEndpoint(r.url));
    await expect(target.send(lines, never)).rejects.toThrow(/HTTP 503/);
    await r.stop();
    await expect(target.send(lines, never)).rejects.toThrow(/fetch failed/);
  });

  it('gives up on a target that does not answer within the timeout', async () => {
    const { createServer } = await import('node:http');
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const target = new WebhookTarget(httpEndpoint(`http://127.0.0.1:${port}/`), 100);
      await expect(target.send(lines, never)).rejects.toThrow(/timeout|aborted/i);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('ElasticTarget', () => {
  it('sends a _bulk request with index actions keyed by request id', async () => {
    const r = await receiver('elastic');
    const target = new ElasticTarget(httpEndpoint(`${r.url}/`, 'ApiKey k'), 'strata-audit');
    expect(await target.send(lines, never)).toEqual({ retry: [], rejected: [] });
    const [req] = r.requests;
    expect(req?.url).toBe('/_bulk');
    expect(req?.headers['content-type']).toBe('application/x-ndjson');
    expect(req?.headers.authorization).toBe('ApiKey k');
    expect(req?.body).toBe(
      [
        '{"index":{"_index":"strata-audit","_id":"A1"}}',
        lines[0],
        '{"index":{"_index":"strata-audit","_id":"B2"}}',
        lines[1],
        '',
      ].join('\n'),
    );
  });

  it('reports items that failed: 429 and 5xx to send again, others as rejected', async () => {
    const r = await receiver('elastic');
    const target = new ElasticTarget(httpEndpoint(r.url), 'idx');
    r.itemStatus = (_doc, _call, i) => [429, 201, 400, 503][i] ?? 201;
    const four = [...lines, JSON.stringify({ requestId: 'C3' }), JSON.stringify({ requestId: 'D4' })];
    const result = await target.send(four, never);
    expect(result.retry).toEqual([0, 3]);
    expect(result.rejected).toEqual([
      { index: 2, reason: '400 es_rejected_execution_exception: test refusal' },
    ]);
  });

  it('fails the whole batch on a non-2xx answer', async () => {
    const r = await receiver('elastic');
    r.failNext = 1;
    r.failStatus = 401;
    await expect(new ElasticTarget(httpEndpoint(r.url), 'idx').send(lines, never)).rejects.toThrow(
      /HTTP 401/,
    );
  });

  it('keeps a path prefix of the URL (a proxy in front of Elasticsearch)', async () => {
    const r = await receiver('elastic');
    await new ElasticTarget(httpEndpoint(`${r.url}/es/`), 'idx').send(lines, never);
    expect(r.requests[0]?.url).toBe('/es/_bulk');
  });
});
