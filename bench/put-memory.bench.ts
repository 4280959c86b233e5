/**
 * Memory bound of one huge streamed PutObject (issue 2: "a 5 GiB PutObject must not
 * grow the process by more than a few tens of MiB").
 *
 *   npm run build && npx tsx bench/put-memory.bench.ts [sizeGiB=5]
 *
 * Starts a real server on 4 temp drives (2+2), streams a generated body of the given
 * size with UNSIGNED-PAYLOAD over plain node:http, then GETs it back while hashing,
 * and reports the server's RSS before, its peak (VmHWM) and the throughput.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

const GiB = 1024 ** 3;
const CHUNK_BYTES = 1024 * 1024;
const sizeBytes = Math.round(Number(process.argv[2] ?? '5') * GiB);
const credentials = { accessKeyId: 'benchadmin', secretAccessKey: 'benchadmin-secret' };

async function memoryKiB(pid: number): Promise<{ rssKiB: number; hwmKiB: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number =>
    Number(/^(\w+):\s+(\d+)/m.exec(status.split('\n').find((l) => l.startsWith(name)) ?? '')?.[2] ?? 0);
  return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM') };
}

/** A deterministic body of `total` bytes; its SHA-256 is accumulated as it is produced. */
function generatedBody(total: number, hash: ReturnType<typeof createHash>): Readable {
  const block = Buffer.alloc(CHUNK_BYTES);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(CHUNK_BYTES, total - sent);
      block.writeUInt32LE(sent / CHUNK_BYTES, 0); // every chunk differs
      const chunk = Buffer.from(block.subarray(0, n));
      hash.update(chunk);
      sent += n;
      this.push(chunk);
    },
  });
}

async function signedRequest(endpoint: URL, method: string, path: string, headers: Record<string, string>) {
  const signer = new SignatureV4({
    credentials,
    region: 'us-east-1',
    service: 's3',
    sha256: Sha256,
    uriEscapePath: false,
  });
  const req = new HttpRequest({
    method,
    protocol: 'http:',
    hostname: endpoint.hostname,
    port: Number(endpoint.port),
    path,
    headers: { host: endpoint.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...headers },
  });
  return (await signer.sign(req)) as HttpRequest;
}

function send(
  endpoint: URL,
  signed: HttpRequest,
  body?: Readable,
): Promise<import('node:http').IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: endpoint.hostname,
        port: endpoint.port,
        method: signed.method,
        path: signed.path,
        headers: signed.headers,
      },
      resolve,
    );
    req.on('error', reject);
    if (body) pipeline(body, req).catch(reject);
    else req.end();
  });
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'strata-bench-'));
  const drives = [1, 2, 3, 4].map((i) => join(root, `drive${i}`));
  const child = spawn(process.execPath, ['bin/strata.js', 'server', '--address', '127.0.0.1:0', ...drives], {
    env: {
      ...process.env,
      STRATA_ROOT_USER: credentials.accessKeyId,
      STRATA_ROOT_PASSWORD: credentials.secretAccessKey,
      STRATA_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const endpoint = await new Promise<URL>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Endpoint:\s+(http\S+)/.exec(out);
        if (m?.[1]) resolve(new URL(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    const pid = child.pid ?? 0;
    const mk = await send(endpoint, await signedRequest(endpoint, 'PUT', '/bench', {}));
    mk.resume();
    const before = await memoryKiB(pid);

    const putHash = createHash('sha256');
    const t0 = performance.now();
    const put = await send(
      endpoint,
      await signedRequest(endpoint, 'PUT', '/bench/big', { 'content-length': String(sizeBytes) }),
      generatedBody(sizeBytes, putHash),
    );
    put.resume();
    if (put.statusCode !== 200) throw new Error(`PUT answered ${put.statusCode}`);
    const putSeconds = (performance.now() - t0) / 1000;
    const afterPut = await memoryKiB(pid);

    const getHash = createHash('sha256');
    const t1 = performance.now();
    const get = await send(endpoint, await signedRequest(endpoint, 'GET', '/bench/big', {}));
    let got = 0;
    for await (const chunk of get as AsyncIterable<Buffer>) {
      got += chunk.length;
      getHash.update(chunk);
    }
    const getSeconds = (performance.now() - t1) / 1000;
    const afterGet = await memoryKiB(pid);

    const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;
    const same = got === sizeBytes && getHash.digest('hex') === putHash.digest('hex');
    console.log(`object            ${(sizeBytes / GiB).toFixed(2)} GiB, read back identical: ${same}`);
    console.log(`PUT               ${(sizeBytes / 2 ** 20 / putSeconds).toFixed(0)} MiB/s`);
    console.log(`GET               ${(sizeBytes / 2 ** 20 / getSeconds).toFixed(0)} MiB/s`);
    console.log(`server RSS before ${mib(before.rssKiB)} (peak so far ${mib(before.hwmKiB)})`);
    console.log(`peak after PUT    ${mib(afterPut.hwmKiB)}  (+${mib(afterPut.hwmKiB - before.hwmKiB)})`);
    console.log(`peak after GET    ${mib(afterGet.hwmKiB)}  (+${mib(afterGet.hwmKiB - before.hwmKiB)})`);
    if (!same) process.exitCode = 1;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await rm(root, { recursive: true, force: true });
  }
}

await main();
