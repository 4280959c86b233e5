import { CryptoError } from './errors.js';

/**
 * Where a KMS keeps its records: opaque byte strings under path-like ids. Records are
 * written once and never replaced or deleted (a lost master key version makes the
 * objects sealed under it unreadable), so the contract is create-only.
 */
export interface KeyStore {
  /** The record stored under `id`, or undefined when there is none. */
  get(id: string): Promise<Uint8Array | undefined>;
  /**
   * Stores `record` under `id` unless the id exists: resolves true when written (durably),
   * false when the id was taken (nothing written). Atomic against concurrent creators.
   */
  create(id: string, record: Uint8Array): Promise<boolean>;
  /** Ids that start with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
}

/** A KeyStore in memory: tests, and the offline decrypt tool (loaded from a backup). */
export class MemoryKeyStore implements KeyStore {
  private readonly records = new Map<string, Uint8Array>();

  async get(id: string): Promise<Uint8Array | undefined> {
    const record = this.records.get(id);
    return record === undefined ? undefined : Uint8Array.from(record);
  }

  async create(id: string, record: Uint8Array): Promise<boolean> {
    if (this.records.has(id)) return false;
    this.records.set(id, Uint8Array.from(record));
    return true;
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.records.keys()].filter((id) => id.startsWith(prefix)).sort();
  }
}

/** Marker and version of a key store backup. Do not change: backups on operators' disks. */
const BACKUP_FORMAT = 'strata-kms-backup';
const BACKUP_VERSION = 1;

/**
 * A JSON backup of every record under `prefix` (default: all). The records stay sealed
 * under the root secret, so the backup is as safe to keep as the drives themselves; with
 * the root secret it is what the offline decrypt tool needs to open SSE-S3/SSE-KMS keys.
 */
export async function exportKeyStore(store: KeyStore, prefix = ''): Promise<string> {
  const records: Record<string, string> = {};
  for (const id of await store.list(prefix)) {
    const record = await store.get(id);
    if (record !== undefined) records[id] = Buffer.from(record).toString('base64');
  }
  return `${JSON.stringify({ format: BACKUP_FORMAT, version: BACKUP_VERSION, records }, null, 2)}\n`;
}

/** Reads a backup written by exportKeyStore into `store` (ids already present are kept). Throws CryptoError('InvalidFormat'). */
export async function importKeyStore(store: KeyStore, backup: string): Promise<number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(backup);
  } catch (err) {
    throw new CryptoError('InvalidFormat', 'the key store backup is not JSON', { cause: err });
  }
  const doc = parsed as { format?: unknown; version?: unknown; records?: unknown };
  if (
    doc.format !== BACKUP_FORMAT ||
    doc.version !== BACKUP_VERSION ||
    typeof doc.records !== 'object' ||
    doc.records === null
  ) {
    throw new CryptoError('InvalidFormat', `not a ${BACKUP_FORMAT} version ${BACKUP_VERSION} file`);
  }
  let count = 0;
  for (const [id, value] of Object.entries(doc.records as Record<string, unknown>)) {
    if (typeof value !== 'string')
      throw new CryptoError('InvalidFormat', `backup record ${id} is not base64 text`);
    if (await store.create(id, Buffer.from(value, 'base64'))) count++;
  }
  return count;
}
