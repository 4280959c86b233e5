import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuiltinKms } from './builtin-kms.js';
import { decryptObject, main, type ObjectEnvelope } from './decrypt-tool.js';
import { decodeObjectEncryption } from './encryption-metadata.js';
import { isCryptoError } from './errors.js';
import { importKeyStore, MemoryKeyStore } from './key-store.js';
import { describeSealedObjectKey, unsealObjectKey } from './object-key.js';
import { parseRootSecret } from './root-secret.js';
import { patternBytes } from './test-helpers.js';

interface FixtureObject {
  mode: string;
  customerKeyBase64?: string;
  plaintext: { bytes: number; seed: number };
  objectKeyHex: string;
  sealedHex: string;
  envelope: ObjectEnvelope;
}

const fixtureUrl = new URL('./fixtures/keys-v1.json', import.meta.url);
const fixture = JSON.parse(readFileSync(fixtureUrl, 'utf8')) as {
  rootSecret: string;
  keyStoreBackup: unknown;
  objects: FixtureObject[];
};

let kms: BuiltinKms;
let dir: string;

beforeAll(async () => {
  const store = new MemoryKeyStore();
  await importKeyStore(store, JSON.stringify(fixture.keyStoreBackup));
  kms = await BuiltinKms.open({ store, rootSecret: parseRootSecret(fixture.rootSecret) });
  dir = await mkdtemp(join(tmpdir(), 'strata-decrypt-tool-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function collect(): { sink: PassThrough; bytes: () => Buffer } {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  return { sink, bytes: () => Buffer.concat(chunks) };
}

function secretsFor(o: FixtureObject) {
  return o.customerKeyBase64 === undefined
    ? { kms }
    : { customerKey: Buffer.from(o.customerKeyBase64, 'base64') };
}

describe('golden keys fixture (crypto/fixtures/keys-v1.json)', () => {
  it('keeps the KMS records of 2026-11-26 readable: versions and names', async () => {
    const keys = await kms.listKeys();
    expect(keys.map((k) => [k.name, k.latestVersion])).toEqual([
      ['strata-default', 2],
      ['tenant-a', 1],
    ]);
    expect(keys[0]?.versions[0]?.createdAt.toISOString()).toBe('2026-11-26T00:00:00.000Z');
  });

  it.each(fixture.objects)('$mode: the sealed object key opens to the recorded object key', async (o) => {
    const encryption = decodeObjectEncryption(o.envelope.metadata);
    expect(encryption).toBeDefined();
    expect(describeSealedObjectKey(encryption?.sealedKey ?? new Uint8Array()).mode).toBe(o.mode);
    const objectKey = await unsealObjectKey(
      encryption?.sealedKey ?? new Uint8Array(),
      o.envelope,
      secretsFor(o),
    );
    expect(objectKey.toString('hex')).toBe(o.objectKeyHex);
  });

  it.each(fixture.objects)('$mode: decryptObject restores the plaintext', async (o) => {
    const { sink, bytes } = collect();
    const result = await decryptObject({
      envelope: o.envelope,
      ...secretsFor(o),
      input: Readable.from([Buffer.from(o.sealedHex, 'hex')]),
      output: sink,
    });
    expect(result.plainSizeBytes).toBe(o.plaintext.bytes);
    expect(bytes().equals(patternBytes(o.plaintext.bytes, o.plaintext.seed))).toBe(true);
  });

  it('decryptObject fails on tampered data, and for the wrong object', async () => {
    const o = fixture.objects[0] as FixtureObject;
    const bad = Buffer.from(o.sealedHex, 'hex');
    bad[3] = (bad[3] ?? 0) ^ 1;
    const err = await decryptObject({
      envelope: o.envelope,
      kms,
      input: Readable.from([bad]),
      output: new PassThrough(),
    }).catch((e) => e);
    expect(isCryptoError(err, 'Tampered')).toBe(true);
    const moved = { ...o.envelope, key: 'elsewhere' };
    const err2 = await decryptObject({
      envelope: moved,
      kms,
      input: Readable.from([Buffer.from(o.sealedHex, 'hex')]),
      output: new PassThrough(),
    }).catch((e) => e);
    expect(isCryptoError(err2, 'KeyUnsealFailed')).toBe(true);
  });
});

describe('decrypt-tool command line', () => {
  async function run(argv: string[], input: Buffer, env: Record<string, string> = {}) {
    const { sink, bytes } = collect();
    let stderr = '';
    const code = await main(argv, {
      stdin: Readable.from([input]),
      stdout: sink,
      stderr: { write: (t: string) => (stderr += t) },
      env,
    });
    return { code, out: bytes(), stderr };
  }

  it('decrypts SSE-S3/SSE-KMS objects from a key store backup and the root secret', async () => {
    const keys = join(dir, 'keys.json');
    await writeFile(keys, JSON.stringify(fixture.keyStoreBackup));
    const rootFile = join(dir, 'root');
    await writeFile(rootFile, `${fixture.rootSecret}\n`);
    for (const o of fixture.objects.filter((x) => x.mode !== 'SSE-C')) {
      const envelope = join(dir, `${o.mode}.json`);
      await writeFile(envelope, JSON.stringify(o.envelope));
      const sealed = Buffer.from(o.sealedHex, 'hex');
      const viaFile = await run(
        ['--envelope', envelope, '--keys', keys, '--root-secret-file', rootFile],
        sealed,
      );
      expect(viaFile.code, viaFile.stderr).toBe(0);
      expect(viaFile.out.equals(patternBytes(o.plaintext.bytes, o.plaintext.seed))).toBe(true);
      const viaEnv = await run(['--envelope', envelope, '--keys', keys], sealed, {
        STRATA_KMS_SECRET_KEY: fixture.rootSecret,
      });
      expect(viaEnv.code, viaEnv.stderr).toBe(0);
    }
  });

  it('decrypts an SSE-C multipart object with the customer key file; a wrong key exits 1', async () => {
    const o = fixture.objects.find((x) => x.mode === 'SSE-C') as FixtureObject;
    const envelope = join(dir, 'ssec.json');
    await writeFile(envelope, JSON.stringify(o.envelope));
    const keyFile = join(dir, 'customer.key');
    await writeFile(keyFile, `${o.customerKeyBase64}\n`);
    const sealed = Buffer.from(o.sealedHex, 'hex');
    const ok = await run(['--envelope', envelope, '--customer-key-file', keyFile], sealed);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.out.equals(patternBytes(150, 3))).toBe(true);
    await writeFile(keyFile, Buffer.alloc(32, 1).toString('base64'));
    const wrong = await run(['--envelope', envelope, '--customer-key-file', keyFile], sealed);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('WrongCustomerKey');
    expect(wrong.out.byteLength).toBe(0);
  });

  it('exits 2 on usage errors and 1 on a wrong root secret', async () => {
    expect((await run([], Buffer.alloc(0))).code).toBe(2);
    expect((await run(['--bogus'], Buffer.alloc(0))).code).toBe(2);
    const o = fixture.objects[0] as FixtureObject;
    const envelope = join(dir, 'x.json');
    await writeFile(envelope, JSON.stringify(o.envelope));
    expect((await run(['--envelope', envelope], Buffer.alloc(0))).code).toBe(2);
    const keys = join(dir, 'keys2.json');
    await writeFile(keys, JSON.stringify(fixture.keyStoreBackup));
    const wrongRoot = await run(['--envelope', envelope, '--keys', keys], Buffer.from(o.sealedHex, 'hex'), {
      STRATA_KMS_SECRET_KEY: `golden-root:${Buffer.alloc(32, 1).toString('base64')}`,
    });
    expect(wrongRoot.code).toBe(1);
    expect(wrongRoot.stderr).toContain('WrongRootSecret');
  });
});
