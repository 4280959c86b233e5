import type { AuditTarget, SendResult } from './audit-target.js';
import { HTTP_TIMEOUT_MS, type HttpEndpoint, requestSignal, responseText } from './http-endpoint.js';

/**
 * Elasticsearch (or OpenSearch) through the `_bulk` API: each batch is one
 * `POST <url>/_bulk` whose NDJSON body pairs an action line
 * `{"index":{"_index":INDEX,"_id":REQUEST_ID}}` with each entry. The request id as
 * document id makes a batch sent twice (at-least-once delivery) overwrite, not
 * duplicate. Bulk answers 200 even when items fail, so the `errors` flag and every
 * item's status are checked: 429 and 5xx items are sent again, other refusals (a
 * mapping conflict) are reported as rejected.
 * https://www.elastic.co/guide/en/elasticsearch/reference/current/docs-bulk.html
 */
export class ElasticTarget implements AuditTarget {
  readonly name = 'elastic';
  readonly describe: string;
  private readonly bulkUrl: URL;
  private readonly index: string;
  private readonly authorization: string | undefined;
  private readonly timeoutMs: number;

  constructor(endpoint: HttpEndpoint, index: string, timeoutMs = HTTP_TIMEOUT_MS) {
    this.bulkUrl = new URL(`${endpoint.url.pathname.replace(/\/+$/, '')}/_bulk`, endpoint.url);
    this.index = index;
    this.authorization = endpoint.authorization;
    this.timeoutMs = timeoutMs;
    this.describe = `${this.bulkUrl.href} (index ${index})`;
  }

  async send(lines: readonly string[], signal: AbortSignal): Promise<SendResult> {
    const body: string[] = [];
    for (const line of lines) body.push(this.actionLine(line), line);
    const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
    if (this.authorization !== undefined) headers.authorization = this.authorization;
    const res = await fetch(this.bulkUrl, {
      method: 'POST',
      headers,
      body: `${body.join('\n')}\n`,
      signal: requestSignal(signal, this.timeoutMs),
    });
    if (!res.ok) {
      throw new Error(`HTTP ${res.status} from Elasticsearch _bulk: ${await responseText(res, 300)}`);
    }
    const answer = (await res.json()) as BulkResponse;
    if (answer.errors !== true) return { retry: [], rejected: [] };
    const items = Array.isArray(answer.items) ? answer.items : [];
    if (items.length !== lines.length) {
      throw new Error(`Elasticsearch _bulk answered ${items.length} items for ${lines.length} documents`);
    }
    const retry: number[] = [];
    const rejected: { index: number; reason: string }[] = [];
    items.forEach((item, index) => {
      const result = item.index ?? item.create;
      const status = result?.status ?? 0;
      if (status >= 200 && status < 300) return;
      if (status === 429 || status >= 500 || status === 0) retry.push(index);
      else rejected.push({ index, reason: `${status} ${reasonOf(result?.error)}` });
    });
    return { retry, rejected };
  }

  private actionLine(line: string): string {
    const requestId = requestIdOf(line);
    const action = requestId === undefined ? { _index: this.index } : { _index: this.index, _id: requestId };
    return JSON.stringify({ index: action });
  }
}

interface BulkItemResult {
  status?: number;
  error?: unknown;
}

interface BulkResponse {
  errors?: boolean;
  items?: { index?: BulkItemResult; create?: BulkItemResult }[];
}

function requestIdOf(line: string): string | undefined {
  try {
    const value = JSON.parse(line) as { requestId?: unknown };
    return typeof value.requestId === 'string' && value.requestId !== '' ? value.requestId : undefined;
  } catch {
    return undefined;
  }
}

function reasonOf(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const { type, reason } = error as { type?: unknown; reason?: unknown };
    return `${String(type ?? 'error')}: ${String(reason ?? '').slice(0, 200)}`;
  }
  return String(error ?? 'refused').slice(0, 200);
}
