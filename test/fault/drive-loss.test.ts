/**
 * 2 data + 2 parity: losing any two of the four drives loses nothing. Objects are
 * written once; each case restores the drives from a snapshot, then removes two
 * drives under the running server, or wipes two and restarts on them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { removeDrive, restoreDrives, snapshotDrives, wipeDrive } from '../helpers/drives.js';
import { type FixtureObject, verifyFixture, writeFixture } from '../helpers/fixture.js';
import { createBucket } from '../helpers/s3.js';
import { dumpServerOutputOnFailure, StrataServer, uniqueBucketName } from '../helpers/strata-server.js';

const PAIRS: [number, number][] = [
  [0, 1],
  [0, 2],
  [0, 3],
  [1, 2],
  [1, 3],
  [2, 3],
];

describe('losing two of four drives', () => {
  let server: StrataServer | undefined;
  let snapshot = '';
  let objects: FixtureObject[] = [];
  const bucket = uniqueBucketName('twodrives');
  const srv = (): StrataServer => {
    if (!server) throw new Error('server not started');
    return server;
  };

  beforeAll(async () => {
    server = await StrataServer.start();
    await createBucket(srv().client(), bucket);
    objects = await writeFixture(srv().client(), bucket);
    await srv().stop();
    snapshot = await mkdtemp(join(tmpdir(), 'strata-snap-'));
    await snapshotDrives(srv().drives, snapshot);
  }, 120_000);

  dumpServerOutputOnFailure(() => server);
  afterAll(async () => {
    await server?.destroy();
    if (snapshot) await rm(snapshot, { recursive: true, force: true });
  });

  it.each(PAIRS)(
    'every object reads back byte-identical after drives %i and %i are removed under the running server',
    async (a, b) => {
      const s = srv();
      await restoreDrives(s.drives, snapshot);
      await s.startAgain();
      try {
        await verifyFixture(s.client(), bucket, objects);
        await removeDrive(s.drives[a] as string);
        await removeDrive(s.drives[b] as string);
        await verifyFixture(s.client(), bucket, objects);
      } finally {
        await s.stop();
      }
    },
  );

  it.each(PAIRS)(
    'every object reads back byte-identical after drives %i and %i are wiped and the server restarts',
    async (a, b) => {
      const s = srv();
      await restoreDrives(s.drives, snapshot);
      await wipeDrive(s.drives[a] as string);
      await wipeDrive(s.drives[b] as string);
      await s.startAgain();
      try {
        await verifyFixture(s.client(), bucket, objects);
      } finally {
        await s.stop();
      }
    },
  );
});
