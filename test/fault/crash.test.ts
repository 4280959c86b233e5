/**
 * SIGKILL during a stream of concurrent PUTs: after a restart on the same drives,
 * every acknowledged PUT reads back intact, and every listed object reads back
 * whole (no half-written object is visible). Overwritten keys show the last
 * acknowledged version or the one in flight, never a mix.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { bytesFor, mapLimit, sha256Hex, sha256OfBody } from '../helpers/data.js';
import { createBucket, listAllKeys } from '../helpers/s3.js';
import { pollUntil, type StrataServer, uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

const SIZES = [0, 1, 5_000, 200_000, 1_500_000, 3 * 1024 * 1024 + 3];
const UNIQUE_WRITERS = 6;
const HOT_KEYS = ['hot/a 😀', 'hot/b %2F'];
const ACKS_BEFORE_KILL = 40;

interface Attempt {
  sha256: string;
  sizeBytes: number;
}

/** Versions of hot keys are content-addressed by (key, version). */
function hotSize(version: number): number {
  return SIZES[(version * 5 + 3) % SIZES.length] as number;
}

class Workload {
  /** key → expected content of each attempted write of it (unique keys: one). */
  readonly attempts = new Map<string, Attempt[]>();
  readonly acked = new Map<string, number>(); // key → index into attempts of the last ack
  readonly errorsBeforeKill: string[] = [];
  private stopping = false;
  private ackCount = 0;
  private running: Promise<void>[] = [];

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly round: number,
  ) {}

  get acks(): number {
    return this.ackCount;
  }

  start(): void {
    for (let w = 0; w < UNIQUE_WRITERS; w++) this.running.push(this.uniqueWriter(w));
    for (const key of HOT_KEYS) this.running.push(this.hotWriter(key));
  }

  /** Marks the stop, so failures from now on are expected (the server is being killed). */
  stop(): void {
    this.stopping = true;
  }

  async finished(): Promise<void> {
    await Promise.all(this.running);
  }

  private async write(key: string, data: Buffer): Promise<boolean> {
    const list = this.attempts.get(key) ?? [];
    list.push({ sha256: sha256Hex(data), sizeBytes: data.length });
    this.attempts.set(key, list);
    try {
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: data }));
    } catch (err) {
      if (!this.stopping)
        this.errorsBeforeKill.push(`${key}: ${(err as Error).name}: ${(err as Error).message}`);
      return false;
    }
    this.acked.set(key, list.length - 1);
    this.ackCount++;
    return true;
  }

  private async uniqueWriter(w: number): Promise<void> {
    for (let n = 0; !this.stopping; n++) {
      const key = `crash/r${this.round}/w${w}/${n} 😀`;
      const size = SIZES[(n + w) % SIZES.length] as number;
      if (!(await this.write(key, bytesFor(size, key)))) return;
    }
  }

  private async hotWriter(key: string): Promise<void> {
    for (let v = this.attempts.get(key)?.length ?? 0; !this.stopping; v++) {
      if (!(await this.write(key, bytesFor(hotSize(v), `${key}#${v}`)))) return;
    }
  }
}

async function readAttempt(s3: S3Client, bucket: string, key: string): Promise<Attempt> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const { sha256, sizeBytes } = await sha256OfBody(r.Body);
  return { sha256, sizeBytes };
}

/** Acknowledged writes are all there; every listed key holds one complete attempted version. */
async function verifyAfterCrash(
  server: StrataServer,
  bucket: string,
  attempts: Map<string, Attempt[]>,
  acked: Map<string, number>,
) {
  const s3 = server.client();
  await mapLimit([...acked.entries()], 8, async ([key, idx]) => {
    const got = await readAttempt(s3, bucket, key);
    const versions = attempts.get(key) ?? [];
    // The last acknowledged version, or a later one that was in flight at the kill.
    const allowed = versions.slice(idx);
    expect(allowed, `acknowledged ${key} reads back as an acknowledged-or-later version`).toContainEqual(got);
  });
  const listed = await listAllKeys(s3, bucket);
  for (const key of listed) expect(attempts.has(key), `listed key ${key} was written by the test`).toBe(true);
  await mapLimit(listed, 8, async (key) => {
    const got = await readAttempt(s3, bucket, key);
    expect(attempts.get(key), `listed ${key} is one complete attempted version`).toContainEqual(got);
  });
  for (const key of acked.keys()) expect(listed, 'acknowledged key is listed').toContain(key);
}

describe('crash during writes', () => {
  const server = useStrataServer();

  it('SIGKILL during concurrent PUTs loses no acknowledged write and exposes no partial object (two rounds)', async () => {
    const s = server();
    const bucket = uniqueBucketName('crash');
    await createBucket(s.client(), bucket);
    const attempts = new Map<string, Attempt[]>();
    const acked = new Map<string, number>();

    for (let round = 0; round < 2; round++) {
      const client = s.newClient({ maxAttempts: 1 });
      const load = new Workload(client, bucket, round);
      // Continue hot-key versions across rounds.
      for (const key of HOT_KEYS)
        if (attempts.has(key)) load.attempts.set(key, [...(attempts.get(key) ?? [])]);
      load.start();
      try {
        await pollUntil(
          `${ACKS_BEFORE_KILL} acknowledged PUTs`,
          () => load.acks >= ACKS_BEFORE_KILL || load.errorsBeforeKill.length > 0,
          60_000,
          20,
        );
      } finally {
        load.stop();
        await s.kill();
        await load.finished();
        client.destroy();
      }
      expect(load.errorsBeforeKill, 'PUTs failing before the kill').toEqual([]);
      for (const [k, v] of load.attempts) attempts.set(k, v);
      for (const [k, v] of load.acked) acked.set(k, v);

      await s.startAgain();
      await verifyAfterCrash(s, bucket, attempts, acked);
    }
  });
});
