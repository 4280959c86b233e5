// Offline decryption for disaster recovery: turns an encrypted object's sealed bytes back
// into plaintext without a running server, from what the object's version record holds
// (its x-strata-sse-* metadata, and its parts' for multipart objects), plus either the
// KMS key store backup and root secret (SSE-S3, SSE-KMS) or the customer key (SSE-C).
//
//   node dist/crypto/decrypt-tool.js --envelope object.json [--keys kms-backup.json]
//        [--root-secret-file FILE] [--customer-key-file FILE] < sealed > plain
//
// The root secret comes from --root-secret-file, else STRATA_KMS_SECRET_KEY or
// STRATA_KMS_SECRET_KEY_FILE (never from a flag value: command lines are visible to other
// users). The customer key file holds the 32-byte key in base64 (as in the SSE-C header).
// Exit codes: 0 done, 1 the data or a key failed (nothing after the failing package was
// written), 2 usage. docs/encryption-format.md describes every input.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BuiltinKms } from './builtin-kms.js';
import { createDecryptStream } from './decrypt-stream.js';
import { decodeObjectEncryption, decodePartEncryption } from './encryption-metadata.js';
import { CryptoError, isCryptoError } from './errors.js';
import { importKeyStore, MemoryKeyStore } from './key-store.js';
import type { Kms } from './kms.js';
import { createMultipartDecryptStream, planMultipartRange } from './multipart-decrypt-stream.js';
import { describeSealedObjectKey, unsealObjectKey } from './object-key.js';
import { objectBinding } from './package-format.js';
import { parseRootSecret, type RootSecret, rootSecretFromEnv } from './root-secret.js';

/** What the tool needs to know about one object version (JSON file given with --envelope). */
export interface ObjectEnvelope {
  bucket: string;
  key: string;
  /** The version's metadata map (at least its x-strata-sse-* entries). */
  metadata: Record<string, string>;
  /** Multipart objects: each part's number and metadata, in object order. */
  parts?: { partNumber: number; metadata: Record<string, string> }[];
}

/**
 * Decrypts one object's whole sealed stream from `input` into `output`. Opens the sealed
 * object key with `kms` (SSE-S3/SSE-KMS) or `customerKey` (SSE-C). Rejects with
 * CryptoError ('Tampered', 'KeyUnsealFailed', 'WrongCustomerKey', 'InvalidFormat', ...);
 * plaintext of a package is written only after the package verified.
 */
export async function decryptObject(opts: {
  envelope: ObjectEnvelope;
  kms?: Kms;
  customerKey?: Uint8Array;
  input: Readable;
  output: Writable;
}): Promise<{ plainSizeBytes: number }> {
  const { envelope } = opts;
  const encryption = decodeObjectEncryption(envelope.metadata);
  if (encryption === undefined) {
    throw new CryptoError(
      'InvalidFormat',
      'the envelope metadata has no x-strata-sse-format: not an encrypted object',
    );
  }
  const target = { bucket: envelope.bucket, key: envelope.key };
  const objectKey = await unsealObjectKey(encryption.sealedKey, target, {
    kms: opts.kms,
    customerKey: opts.customerKey,
  });
  const binding = objectBinding(envelope.bucket, envelope.key);
  const decrypt =
    envelope.parts === undefined || envelope.parts.length === 0
      ? createDecryptStream({
          key: objectKey,
          aead: encryption.aead,
          binding,
          nonceBase: encryption.nonceBase ?? missingNonce(),
        })
      : createMultipartDecryptStream(
          { key: objectKey, aead: encryption.aead, binding },
          planMultipartRange(
            envelope.parts.map((p) => ({ partNumber: p.partNumber, ...decodePartEncryption(p.metadata) })),
          ),
        );
  await pipeline(opts.input, decrypt, opts.output);
  return { plainSizeBytes: encryption.plainSizeBytes };
}

function missingNonce(): never {
  throw new CryptoError('InvalidFormat', 'a single-part object without x-strata-sse-nonce');
}

/** The command line: returns the exit code. `io` is injectable for tests. */
export async function main(
  argv: readonly string[],
  io: {
    stdin: Readable;
    stdout: Writable;
    stderr: { write(text: string): unknown };
    env: Readonly<Record<string, string | undefined>>;
  },
): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        envelope: { type: 'string' },
        keys: { type: 'string' },
        'root-secret-file': { type: 'string' },
        'customer-key-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    io.stderr.write(`decrypt-tool: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help === true) {
    io.stdout.write(USAGE);
    return 0;
  }
  const envelopePath = values.envelope;
  if (typeof envelopePath !== 'string') {
    io.stderr.write(`decrypt-tool: --envelope is required\n${USAGE}`);
    return 2;
  }
  try {
    const envelope = parseEnvelope(readFileSync(envelopePath, 'utf8'));
    const encryption = decodeObjectEncryption(envelope.metadata);
    if (encryption === undefined) throw new CryptoError('InvalidFormat', 'the object is not encrypted');
    const { mode } = describeSealedObjectKey(encryption.sealedKey);
    let kms: Kms | undefined;
    let customerKey: Buffer | undefined;
    if (mode === 'SSE-C') {
      const file = values['customer-key-file'];
      if (typeof file !== 'string') {
        io.stderr.write('decrypt-tool: the object is SSE-C encrypted: give --customer-key-file\n');
        return 2;
      }
      customerKey = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    } else {
      const keysFile = values.keys;
      if (typeof keysFile !== 'string') {
        io.stderr.write(
          `decrypt-tool: the object is ${mode} encrypted: give --keys (a KMS key store backup)\n`,
        );
        return 2;
      }
      const rootFile = values['root-secret-file'];
      const rootSecret: RootSecret | undefined =
        typeof rootFile === 'string'
          ? parseRootSecret(readFileSync(rootFile, 'utf8'), `--root-secret-file (${rootFile})`)
          : rootSecretFromEnv(io.env);
      if (rootSecret === undefined) {
        io.stderr.write(
          'decrypt-tool: give --root-secret-file, STRATA_KMS_SECRET_KEY or STRATA_KMS_SECRET_KEY_FILE\n',
        );
        return 2;
      }
      const store = new MemoryKeyStore();
      await importKeyStore(store, readFileSync(keysFile, 'utf8'));
      kms = await BuiltinKms.open({ store, rootSecret });
    }
    const { plainSizeBytes } = await decryptObject({
      envelope,
      kms,
      customerKey,
      input: io.stdin,
      output: io.stdout,
    });
    io.stderr.write(`decrypt-tool: ${plainSizeBytes} bytes decrypted (${mode}, ${encryption.aead})\n`);
    return 0;
  } catch (err) {
    const code = isCryptoError(err) ? ` [${err.code}]` : '';
    io.stderr.write(`decrypt-tool: ${(err as Error).message}${code}\n`);
    return isCryptoError(err, 'InvalidRootSecret') ? 2 : 1;
  }
}

/** Parses and checks an envelope file. Throws CryptoError('InvalidFormat'). */
export function parseEnvelope(text: string): ObjectEnvelope {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CryptoError('InvalidFormat', 'the envelope is not JSON', { cause: err });
  }
  const e = doc as Partial<ObjectEnvelope>;
  const isStringMap = (m: unknown): m is Record<string, string> =>
    typeof m === 'object' && m !== null && Object.values(m).every((v) => typeof v === 'string');
  if (typeof e.bucket !== 'string' || typeof e.key !== 'string' || !isStringMap(e.metadata)) {
    throw new CryptoError('InvalidFormat', 'the envelope needs "bucket", "key" and a "metadata" string map');
  }
  if (
    e.parts !== undefined &&
    (!Array.isArray(e.parts) ||
      !e.parts.every((p) => Number.isInteger(p?.partNumber) && isStringMap(p?.metadata)))
  ) {
    throw new CryptoError(
      'InvalidFormat',
      'envelope "parts" must be [{ "partNumber": n, "metadata": {...} }]',
    );
  }
  return { bucket: e.bucket, key: e.key, metadata: e.metadata, parts: e.parts };
}

const USAGE = `usage: node dist/crypto/decrypt-tool.js --envelope FILE [--keys FILE] [--root-secret-file FILE]
                                       [--customer-key-file FILE] < sealed > plain
  --envelope FILE           JSON {"bucket","key","metadata":{x-strata-sse-*...},"parts":[{"partNumber","metadata"}]}
  --keys FILE               KMS key store backup (exportKeyStore), for SSE-S3 and SSE-KMS objects
  --root-secret-file FILE   the root secret "name:base64" (else STRATA_KMS_SECRET_KEY[_FILE])
  --customer-key-file FILE  the SSE-C customer key, base64 (32 bytes)
`;

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2), {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
}
