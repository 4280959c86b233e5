import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * For tests: a real HTTP receiver on 127.0.0.1 that speaks like an audit webhook or
 * like Elasticsearch's `_bulk` API, records every request, and can be stopped and
 * started again on the same port (a target that goes down and comes back).
 */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The status answered. */
  status: number;
}

/** Decides the status of each bulk item (index in the request, the document): 201 unless told. */
export type BulkItemStatus = (doc: Record<string, unknown>, call: number, index: number) => number;

export class TestReceiver {
  readonly mode: 'webhook' | 'elastic';
  /** Every request, including refused ones. */
  readonly requests: ReceivedRequest[] = [];
  /** Entries accepted (webhook: each line of 2xx requests; elastic: each document indexed). */
  readonly accepted: Record<string, unknown>[] = [];
  /** Elasticsearch action lines of accepted documents, in order. */
  readonly actions: Record<string, unknown>[] = [];
  /** Answer this status to the next N requests (then 200). */
  failNext = 0;
  failStatus = 503;
  /** Elasticsearch only: per-item statuses. */
  itemStatus: BulkItemStatus = () => 201;
  private server: Server | undefined;
  private portNumber = 0;
  private bulkCalls = 0;

  private constructor(mode: 'webhook' | 'elastic') {
    this.mode = mode;
  }

  static async start(mode: 'webhook' | 'elastic', port = 0): Promise<TestReceiver> {
    const receiver = new TestReceiver(mode);
    receiver.portNumber = port;
    await receiver.listen();
    return receiver;
  }

  get port(): number {
    return this.portNumber;
  }

  get url(): string {
    return `http://127.0.0.1:${this.portNumber}`;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** Stops listening and cuts open connections (a target that went away). */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  /** Listens again on the same port. */
  async restart(): Promise<void> {
    if (this.server === undefined) await this.listen();
  }

  private async listen(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const record: ReceivedRequest = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body,
          status: 200,
        };
        this.requests.push(record);
        if (this.failNext > 0) {
          this.failNext--;
          record.status = this.failStatus;
          res.writeHead(this.failStatus, { 'content-type': 'text/plain' }).end('unavailable');
          return;
        }
        if (this.mode === 'webhook') {
          for (const line of lines(body)) this.accepted.push(JSON.parse(line) as Record<string, unknown>);
          res.writeHead(200).end();
          return;
        }
        this.answerBulk(body, res);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.portNumber, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.portNumber = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private answerBulk(body: string, res: import('node:http').ServerResponse): void {
    const call = this.bulkCalls++;
    const all = lines(body).map((l) => JSON.parse(l) as Record<string, unknown>);
    const items: { index: { status: number; error?: unknown } }[] = [];
    let errors = false;
    for (let i = 0; i + 1 < all.length; i += 2) {
      const action = all[i] as Record<string, unknown>;
      const doc = all[i + 1] as Record<string, unknown>;
      const status = this.itemStatus(doc, call, i / 2);
      if (status >= 200 && status < 300) {
        this.actions.push(action);
        this.accepted.push(doc);
        items.push({ index: { status } });
      } else {
        errors = true;
        items.push({
          index: { status, error: { type: 'es_rejected_execution_exception', reason: 'test refusal' } },
        });
      }
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ took: 1, errors, items }));
  }
}

function lines(body: string): string[] {
  return body.split('\n').filter((l) => l !== '');
}
