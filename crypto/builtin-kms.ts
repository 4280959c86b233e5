import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { type EncryptionContext, encodeContext } from './encryption-context.js';
import { CryptoError } from './errors.js';
import type { KeyStore } from './key-store.js';
import type { DataKey, KeyInfo, KeyStatus, Kms } from './kms.js';
import type { RootSecret } from './root-secret.js';

/**
 * The built-in KMS: named master keys of 32 random bytes, versioned by rotation, kept in
 * a KeyStore (the storage layer's system area in production) as records sealed with
 * AES-256-GCM under a key derived from the operator's root secret. Formats (all "do not
 * change: on-disk format"; docs/encryption-format.md):
 *
 *   record id      keys/<name>/<version, 10 digits>          one record per key version, never rewritten
 *   record         1 | len | root secret name | nonce (12) | AES-256-GCM(material (32) | createdAt ms (uint64 BE)) | tag (16)
 *                  key = HKDF-SHA256(root secret, salt = empty, info = "strata/kms/v1/key-store")
 *                  AAD = "strata/kms/v1/master-key" | uint16 BE len | record id | the record's first 2 + len bytes
 *   sealed data key 1 | len | key name | version (uint32 BE) | salt (32) | AES-256-GCM(data key (32)) | tag (16)
 *                  key = HKDF-SHA256(master key version, salt, info = "strata/kms/v1/data-key"); nonce = 12 zero
 *                  bytes (each derived key seals exactly one value)
 *                  AAD = "strata/kms/v1/data-key" | everything before the ciphertext | encodeContext(context)
 *
 * Master keys are cached in memory once read. A version this process has not seen (another
 * node rotated) is read from the store when a sealed key names it; until then new data keys
 * use the newest version this process knows, which stays readable everywhere.
 */
export class BuiltinKms implements Kms {
  readonly defaultKeyName: string;
  private readonly store: KeyStore;
  private readonly rootName: string;
  private readonly storeKey: Buffer;
  private readonly now: () => Date;
  /** Versions of each key read so far, oldest first. */
  private readonly keys = new Map<string, MasterKeyVersion[]>();
  /** When each key's versions were last read from the store (ms since the epoch). */
  private readonly loadedAt = new Map<string, number>();

  private constructor(opts: BuiltinKmsOptions) {
    validateKeyName(opts.defaultKeyName ?? DEFAULT_KEY_NAME);
    this.defaultKeyName = opts.defaultKeyName ?? DEFAULT_KEY_NAME;
    this.store = opts.store;
    this.rootName = opts.rootSecret.name;
    this.storeKey = Buffer.from(hkdfSync('sha256', opts.rootSecret.key, Buffer.alloc(0), STORE_KEY_INFO, 32));
    this.now = opts.now ?? (() => new Date());
  }

  /**
   * Opens the KMS over `store`: checks that the stored records open with the root secret
   * (CryptoError 'WrongRootSecret' otherwise: the server must not start) and creates the
   * default key on first use.
   */
  static async open(opts: BuiltinKmsOptions): Promise<BuiltinKms> {
    const kms = new BuiltinKms(opts);
    const [firstId] = await kms.store.list(KEYS_PREFIX);
    if (firstId !== undefined) await kms.openRecord(firstId);
    if ((await kms.load(kms.defaultKeyName)).length === 0) {
      try {
        await kms.createKey(kms.defaultKeyName);
      } catch (err) {
        if (!(err instanceof CryptoError && err.code === 'KeyExists')) throw err;
        await kms.load(kms.defaultKeyName, true);
      }
    }
    return kms;
  }

  async generateDataKey(keyName: string, context: EncryptionContext): Promise<DataKey> {
    const latest = await this.latest(keyName);
    const plaintext = randomBytes(DATA_KEY_BYTES);
    return { plaintext, sealed: this.sealDataKey(keyName, latest, plaintext, context) };
  }

  async decryptDataKey(keyName: string, sealed: Uint8Array, context: EncryptionContext): Promise<Buffer> {
    return (await this.openDataKey(keyName, sealed, context)).plaintext;
  }

  async reencryptDataKey(
    keyName: string,
    sealed: Uint8Array,
    context: EncryptionContext,
  ): Promise<{ sealed: Uint8Array; changed: boolean }> {
    const opened = await this.openDataKey(keyName, sealed, context);
    // Re-wrap runs this per object version: read the key's versions from the store at most
    // once per REFRESH_MS (a rotation through this instance updates the cache at once).
    const loadedAt = this.loadedAt.get(keyName) ?? 0;
    const latest = await this.latest(keyName, Date.now() - loadedAt > REWRAP_REFRESH_MS);
    if (opened.version === latest.version) return { sealed, changed: false };
    return { sealed: this.sealDataKey(keyName, latest, opened.plaintext, context), changed: true };
  }

  async createKey(keyName: string): Promise<KeyInfo> {
    validateKeyName(keyName);
    const version = this.newVersion(1);
    if (!(await this.store.create(recordId(keyName, 1), this.sealRecord(recordId(keyName, 1), version)))) {
      throw new CryptoError('KeyExists', `KMS key "${keyName}" exists`);
    }
    this.keys.set(keyName, [version]);
    return info(keyName, [version]);
  }

  async rotateKey(keyName: string): Promise<KeyInfo> {
    // Concurrent rotations race on the next record id; the loser reads the winner's and tries the next.
    for (let attempt = 0; attempt < ROTATE_ATTEMPTS; attempt++) {
      const versions = await this.load(keyName, true);
      const last = versions[versions.length - 1];
      if (last === undefined) throw notFound(keyName);
      const version = this.newVersion(last.version + 1);
      const id = recordId(keyName, version.version);
      if (await this.store.create(id, this.sealRecord(id, version))) {
        const all = [...versions, version];
        this.keys.set(keyName, all);
        return info(keyName, all);
      }
    }
    throw new Error(`rotateKey "${keyName}": lost ${ROTATE_ATTEMPTS} races for the next version`);
  }

  async listKeys(): Promise<KeyInfo[]> {
    const names = new Set((await this.store.list(KEYS_PREFIX)).map((id) => id.split('/')[1] ?? ''));
    const out: KeyInfo[] = [];
    for (const name of [...names].sort()) {
      const versions = await this.load(name, true);
      if (versions.length > 0) out.push(info(name, versions));
    }
    return out;
  }

  async keyStatus(keyName: string): Promise<KeyStatus> {
    const versions = await this.load(keyName, true);
    if (versions.length === 0) throw notFound(keyName);
    const context = { 'strata:key-status': keyName };
    const { plaintext, sealed } = await this.generateDataKey(keyName, context);
    const opened = await this.decryptDataKey(keyName, sealed, context);
    return { ...info(keyName, versions), roundTripOk: timingSafeEqual(opened, plaintext) };
  }

  /** The newest version of a key (read from the store when not cached, or when `refresh`). Throws KeyNotFound. */
  private async latest(keyName: string, refresh = false): Promise<MasterKeyVersion> {
    const versions = await this.load(keyName, refresh);
    const last = versions[versions.length - 1];
    if (last === undefined) throw notFound(keyName);
    return last;
  }

  /** The versions of a key, oldest first ([] when it does not exist). */
  private async load(keyName: string, refresh = false): Promise<MasterKeyVersion[]> {
    validateKeyName(keyName);
    const cached = this.keys.get(keyName);
    if (cached !== undefined && !refresh) return cached;
    const versions: MasterKeyVersion[] = [];
    for (const id of await this.store.list(`${KEYS_PREFIX}${keyName}/`)) {
      versions.push(await this.openRecord(id));
    }
    versions.sort((a, b) => a.version - b.version);
    if (versions.length > 0) {
      this.keys.set(keyName, versions);
      this.loadedAt.set(keyName, Date.now());
    }
    return versions;
  }

  private newVersion(version: number): MasterKeyVersion {
    return {
      version,
      material: randomBytes(MASTER_KEY_BYTES),
      createdAt: new Date(Math.floor(this.now().getTime())),
    };
  }

  private sealRecord(id: string, version: MasterKeyVersion): Buffer {
    const name = Buffer.from(this.rootName, 'utf8');
    const header = Buffer.concat([Buffer.from([RECORD_FORMAT, name.length]), name]);
    const nonce = randomBytes(12);
    const payload = Buffer.alloc(MASTER_KEY_BYTES + 8);
    version.material.copy(payload, 0);
    payload.writeBigUInt64BE(BigInt(version.createdAt.getTime()), MASTER_KEY_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.storeKey, nonce, { authTagLength: 16 });
    cipher.setAAD(recordAad(id, header));
    const ciphertext = Buffer.concat([cipher.update(payload), cipher.final()]);
    return Buffer.concat([header, nonce, ciphertext, cipher.getAuthTag()]);
  }

  private async openRecord(id: string): Promise<MasterKeyVersion> {
    const version = versionOfId(id);
    const record = await this.store.get(id);
    if (record === undefined) throw new CryptoError('KeyNotFound', `KMS record ${id} vanished`);
    const buf = Buffer.from(record);
    if (buf.length < 2 || buf[0] !== RECORD_FORMAT) {
      throw new CryptoError('InvalidFormat', `KMS record ${id}: unknown record format ${buf[0]}`);
    }
    const nameEnd = 2 + (buf[1] ?? 0);
    const expectedLength = nameEnd + 12 + MASTER_KEY_BYTES + 8 + 16;
    if (buf.length !== expectedLength) throw new CryptoError('InvalidFormat', `KMS record ${id}: bad length`);
    const sealedUnder = buf.toString('utf8', 2, nameEnd);
    if (sealedUnder !== this.rootName) {
      throw new CryptoError(
        'WrongRootSecret',
        `KMS record ${id} is sealed under root secret "${sealedUnder}", but the configured one is "${this.rootName}"`,
      );
    }
    const decipher = createDecipheriv('aes-256-gcm', this.storeKey, buf.subarray(nameEnd, nameEnd + 12), {
      authTagLength: 16,
    });
    decipher.setAAD(recordAad(id, buf.subarray(0, nameEnd)));
    decipher.setAuthTag(buf.subarray(buf.length - 16));
    let payload: Buffer;
    try {
      payload = Buffer.concat([
        decipher.update(buf.subarray(nameEnd + 12, buf.length - 16)),
        decipher.final(),
      ]);
    } catch (err) {
      throw new CryptoError(
        'WrongRootSecret',
        `KMS record ${id} does not open with root secret "${this.rootName}": a different secret under the same name, or a damaged record`,
        { cause: err },
      );
    }
    return {
      version,
      material: payload.subarray(0, MASTER_KEY_BYTES),
      createdAt: new Date(Number(payload.readBigUInt64BE(MASTER_KEY_BYTES))),
    };
  }

  private sealDataKey(
    keyName: string,
    master: MasterKeyVersion,
    plaintext: Buffer,
    context: EncryptionContext,
  ): Uint8Array {
    const name = Buffer.from(keyName, 'utf8');
    const header = Buffer.alloc(2 + name.length + 4 + SALT_BYTES);
    header.writeUInt8(DATA_KEY_FORMAT, 0);
    header.writeUInt8(name.length, 1);
    name.copy(header, 2);
    header.writeUInt32BE(master.version, 2 + name.length);
    randomBytes(SALT_BYTES).copy(header, 6 + name.length);
    const cipher = createCipheriv('aes-256-gcm', dataKeyWrapKey(master, header), ZERO_NONCE, {
      authTagLength: 16,
    });
    cipher.setAAD(dataKeyAad(header, context));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([header, ciphertext, cipher.getAuthTag()]);
  }

  private async openDataKey(
    keyName: string,
    sealed: Uint8Array,
    context: EncryptionContext,
  ): Promise<{ plaintext: Buffer; version: number }> {
    validateKeyName(keyName);
    const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (buf.length < 2 || buf[0] !== DATA_KEY_FORMAT) {
      throw new CryptoError('InvalidFormat', `unknown sealed data key format ${buf[0]}`);
    }
    const nameLength = buf[1] ?? 0;
    const headerLength = 2 + nameLength + 4 + SALT_BYTES;
    if (buf.length !== headerLength + DATA_KEY_BYTES + 16) {
      throw new CryptoError('KeyUnsealFailed', 'sealed data key has a bad length');
    }
    const sealedName = buf.toString('utf8', 2, 2 + nameLength);
    if (sealedName !== keyName) {
      throw new CryptoError(
        'KeyUnsealFailed',
        `data key is sealed under KMS key "${sealedName}", not "${keyName}"`,
      );
    }
    const versionNumber = buf.readUInt32BE(2 + nameLength);
    let master = (await this.load(keyName)).find((v) => v.version === versionNumber);
    // A version another node created after this process cached the key.
    if (master === undefined)
      master = (await this.load(keyName, true)).find((v) => v.version === versionNumber);
    if (master === undefined) {
      throw new CryptoError('KeyNotFound', `KMS key "${keyName}" has no version ${versionNumber}`);
    }
    const header = buf.subarray(0, headerLength);
    const decipher = createDecipheriv('aes-256-gcm', dataKeyWrapKey(master, header), ZERO_NONCE, {
      authTagLength: 16,
    });
    decipher.setAAD(dataKeyAad(header, context));
    decipher.setAuthTag(buf.subarray(buf.length - 16));
    try {
      const plaintext = Buffer.concat([
        decipher.update(buf.subarray(headerLength, headerLength + DATA_KEY_BYTES)),
        decipher.final(),
      ]);
      return { plaintext, version: versionNumber };
    } catch (err) {
      throw new CryptoError(
        'KeyUnsealFailed',
        `data key under KMS key "${keyName}" version ${versionNumber} does not open: tampered, or another encryption context`,
        { cause: err },
      );
    }
  }
}

export interface BuiltinKmsOptions {
  store: KeyStore;
  rootSecret: RootSecret;
  /** The key SSE-S3 uses; default "strata-default". */
  defaultKeyName?: string;
  /** Clock for key creation times (tests). */
  now?: () => Date;
}

interface MasterKeyVersion {
  version: number;
  material: Buffer;
  createdAt: Date;
}

/** How stale reencryptDataKey's view of a key's newest version may be (another process may rotate). */
const REWRAP_REFRESH_MS = 5_000;

/** Default name of the SSE-S3 key. */
export const DEFAULT_KEY_NAME = 'strata-default';

/** Id prefix of master key records in the KeyStore. Do not change: on-disk format. */
export const KEYS_PREFIX = 'keys/';

/** Record and sealed data key format versions. Do not change: on-disk format. */
const RECORD_FORMAT = 1;
const DATA_KEY_FORMAT = 1;
/** Domain separation strings. Do not change: on-disk format. */
const STORE_KEY_INFO = 'strata/kms/v1/key-store';
const RECORD_AAD = 'strata/kms/v1/master-key';
const DATA_KEY_INFO = 'strata/kms/v1/data-key';
const MASTER_KEY_BYTES = 32;
const DATA_KEY_BYTES = 32;
const SALT_BYTES = 32;
const VERSION_DIGITS = 10;
const ZERO_NONCE = Buffer.alloc(12);
/** Rotations of one key racing on other nodes before rotateKey gives up. */
const ROTATE_ATTEMPTS = 5;

const KEY_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Throws CryptoError('InvalidKeyName') unless `name` is 1–128 letters, digits, '.', '_', '-' starting with a letter or digit. */
export function validateKeyName(name: string): void {
  if (!KEY_NAME_RE.test(name)) {
    throw new CryptoError(
      'InvalidKeyName',
      `invalid KMS key name ${JSON.stringify(name.slice(0, 200))}: use 1–128 letters, digits, ".", "_" or "-"`,
    );
  }
}

function recordId(keyName: string, version: number): string {
  return `${KEYS_PREFIX}${keyName}/${String(version).padStart(VERSION_DIGITS, '0')}`;
}

function versionOfId(id: string): number {
  const match = /\/(\d{10})$/.exec(id);
  if (match?.[1] === undefined) throw new CryptoError('InvalidFormat', `not a KMS record id: ${id}`);
  return Number(match[1]);
}

function recordAad(id: string, header: Uint8Array): Buffer {
  const idBytes = Buffer.from(id, 'utf8');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(idBytes.length);
  return Buffer.concat([Buffer.from(RECORD_AAD, 'latin1'), length, idBytes, header]);
}

function dataKeyWrapKey(master: MasterKeyVersion, header: Buffer): Buffer {
  const salt = header.subarray(header.length - SALT_BYTES);
  return Buffer.from(hkdfSync('sha256', master.material, salt, DATA_KEY_INFO, 32));
}

function dataKeyAad(header: Buffer, context: EncryptionContext): Buffer {
  return Buffer.concat([Buffer.from(DATA_KEY_INFO, 'latin1'), header, encodeContext(context)]);
}

function info(name: string, versions: MasterKeyVersion[]): KeyInfo {
  return {
    name,
    latestVersion: versions[versions.length - 1]?.version ?? 0,
    versions: versions.map((v) => ({ version: v.version, createdAt: v.createdAt })),
  };
}

function notFound(keyName: string): CryptoError {
  return new CryptoError('KeyNotFound', `KMS key "${keyName}" does not exist`);
}
