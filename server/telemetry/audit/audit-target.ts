/**
 * A place audit entries are delivered to over the network (webhook, Elasticsearch).
 * A QueueSender feeds it batches from a DiskQueue, one batch at a time, in order.
 */
export interface AuditTarget {
  /** 'webhook', 'elastic': log field and stats key. */
  readonly name: string;
  /** Where entries go, without credentials: safe to log. */
  readonly describe: string;
  /**
   * Sends `lines` (one JSON entry each, in queue order) in one request. Resolves with
   * what the target did not take; rejects when it took nothing (unreachable, timeout,
   * non-2xx). Aborted by `signal` on shutdown.
   */
  send(lines: readonly string[], signal: AbortSignal): Promise<SendResult>;
}

export interface SendResult {
  /** Indexes into `lines` the target refused for now (overloaded, 429, 5xx): send again. */
  retry: readonly number[];
  /** Indexes into `lines` the target refused for good (e.g. a mapping error), with its reason. */
  rejected: readonly { index: number; reason: string }[];
}

export const ALL_DELIVERED: SendResult = Object.freeze({ retry: [], rejected: [] });
