import { ALL_DELIVERED, type AuditTarget, type SendResult } from './audit-target.js';
import { HTTP_TIMEOUT_MS, type HttpEndpoint, requestSignal, responseText } from './http-endpoint.js';

/**
 * A plain HTTP webhook: each batch is one POST with an NDJSON body (one entry per line,
 * `content-type: application/x-ndjson`) and the configured Authorization header. Any
 * 2xx acknowledges the whole batch; anything else is retried.
 */
export class WebhookTarget implements AuditTarget {
  readonly name = 'webhook';
  readonly describe: string;
  private readonly endpoint: HttpEndpoint;
  private readonly timeoutMs: number;

  constructor(endpoint: HttpEndpoint, timeoutMs = HTTP_TIMEOUT_MS) {
    this.endpoint = endpoint;
    this.timeoutMs = timeoutMs;
    this.describe = endpoint.url.href;
  }

  async send(lines: readonly string[], signal: AbortSignal): Promise<SendResult> {
    const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
    if (this.endpoint.authorization !== undefined) headers.authorization = this.endpoint.authorization;
    const res = await fetch(this.endpoint.url, {
      method: 'POST',
      headers,
      body: `${lines.join('\n')}\n`,
      signal: requestSignal(signal, this.timeoutMs),
    });
    const text = await responseText(res, 200);
    if (!res.ok) throw new Error(`HTTP ${res.status} from the webhook: ${text}`);
    return ALL_DELIVERED;
  }
}
