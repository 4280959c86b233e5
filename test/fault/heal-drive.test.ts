/**
 * A wiped (replaced) drive is rebuilt after a restart: after an admin heal it holds
 * its shards again, byte-identical, and its metadata, so it can stand in for lost
 * drives.
 */
import { describe, expect, it } from 'vitest';
import { adminHeal, adminHealCli } from '../helpers/admin.js';
import { holdsShards, removeDrive, shardContents, shardFiles, wipeDrive } from '../helpers/drives.js';
import { type FixtureObject, verifyFixture, writeFixture } from '../helpers/fixture.js';
import { createBucket } from '../helpers/s3.js';
import { pollUntil, uniqueBucketName, useStrataServer } from '../helpers/strata-server.js';

describe('rebuilding wiped drives', () => {
  const server = useStrataServer();
  const bucket = uniqueBucketName('rebuild');
  let objects: FixtureObject[] = [];

  it('after a restart on a wiped drive, admin heal rebuilds its shards and metadata', async () => {
    const s = server();
    await createBucket(s.client(), bucket);
    objects = await writeFixture(s.client(), bucket);
    await s.stop();
    const wiped = s.drives[1] as string;
    const before = await shardContents(wiped);
    expect(before.size, 'shard files on the drive before the wipe').toBeGreaterThanOrEqual(4);
    await wipeDrive(wiped);
    await s.startAgain();

    // The server starts rebuilding a fresh drive in the background as soon as it opens
    // it; the admin heal finishes (or waits for) that work, so its own counts may be 0.
    const report = await adminHeal(s);
    expect(report.objectsFailed).toBe(0);
    expect(report.objectsScanned).toBeGreaterThanOrEqual(objects.length);
    await pollUntil(
      'wiped drive holds all its shard files again, byte-identical',
      () => holdsShards(wiped, before),
      60_000,
    );

    // Nothing is left to repair: the CLI prints the counts and exits 0.
    const cli = await adminHealCli(s);
    expect(cli.code, `${cli.stdout}\n${cli.stderr}`).toBe(0);
    expect(cli.stdout).toMatch(new RegExp(`objects scanned:\\s+${objects.length}\\b`));
    expect(cli.stdout).toMatch(/shards repaired:\s+0\b/);
    expect(cli.stdout).toMatch(/objects failed:\s+0\b/);

    // With two other drives gone, everything (inline objects included) is served from
    // the rebuilt drive and one more: its metadata was rebuilt too.
    await removeDrive(s.drives[2] as string);
    await removeDrive(s.drives[3] as string);
    await verifyFixture(s.client(), bucket, objects);
  });

  it('two drives replaced at once are both rebuilt and then serve everything without the other two', async () => {
    const s = server();
    // The previous test removed drives 2 and 3: they come back as new, empty disks.
    await s.stop();
    await wipeDrive(s.drives[2] as string);
    await wipeDrive(s.drives[3] as string);
    await s.startAgain();
    const report = await adminHeal(s);
    expect(report.objectsFailed).toBe(0);
    expect(report.objectsScanned).toBeGreaterThanOrEqual(objects.length);
    await pollUntil(
      'drives 2 and 3 hold shard files again',
      async () =>
        (await shardFiles(s.drives[2] as string)).length >= 4 &&
        (await shardFiles(s.drives[3] as string)).length >= 4,
      60_000,
    );
    await removeDrive(s.drives[0] as string);
    await removeDrive(s.drives[1] as string);
    await verifyFixture(s.client(), bucket, objects);
  });
});
