import { randomUUID } from 'node:crypto';
import type { Logger } from '../common/index.js';
import { type Drive, type DriveFormat, isDriveError } from './drive.js';

/**
 * Drive formats at start: decide, from what each drive's format.json says, whether
 * the set is new, healthy, partly replaced, or mis-assembled (refuse to start).
 */

/** Version of format.json. Do not change: on-disk format. */
export const FORMAT_VERSION = 1;

export interface FormatResolution {
  /** The set's identity (deployment id and drive ids in slot order). */
  deploymentId: string;
  set: string[];
  /** Slots whose drive was empty and has just been formatted: they need a full heal. */
  freshSlots: number[];
  /** Slots whose drive could not be reached at start (they stay offline until restart). */
  offlineSlots: number[];
  /** True when every drive was empty and a new deployment was created. */
  created: boolean;
}

/**
 * Thrown when the drives cannot form the set: the message names the offending paths
 * and is meant for a human (the caller prints it and exits).
 */
export class FormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormatError';
  }
}

/**
 * Reads every drive's format and brings the set into a consistent state:
 * - all drives empty → a new deployment: one UUID per slot, written to every drive;
 * - some formatted → the reference format is the one held by the most drives, and at
 *   least `minAgreeing` (read quorum) drives must hold it;
 * - a drive from another deployment, or whose id belongs to another slot (drives
 *   swapped or re-ordered) → FormatError naming the path;
 * - an empty drive in a slot → formatted with that slot's id, listed in freshSlots.
 * Unreachable drives are listed in offlineSlots; they must not exceed what the quorum tolerates.
 */
export async function resolveFormats(
  drives: readonly Drive[],
  opts: { minAgreeing: number; logger: Logger },
): Promise<FormatResolution> {
  const n = drives.length;
  const formats: Array<DriveFormat | null | 'offline'> = await Promise.all(
    drives.map(async (drive) => {
      try {
        return await drive.readFormat();
      } catch (err) {
        if (isDriveError(err, 'FileCorrupt')) {
          throw new FormatError(
            `drive ${drive.endpoint}: format.json is unreadable (${err.message}); fix or wipe the drive`,
          );
        }
        opts.logger.warn({ drive: drive.endpoint, err }, 'drive unreachable at start');
        return 'offline';
      }
    }),
  );
  const offlineSlots = formats.flatMap((f, i) => (f === 'offline' ? [i] : []));

  const formatted = formats.flatMap((f, i) =>
    f !== null && f !== 'offline' ? [{ slot: i, format: f }] : [],
  );
  if (formatted.length === 0) {
    if (n - offlineSlots.length < opts.minAgreeing) {
      throw new FormatError(
        `only ${n - offlineSlots.length} of ${n} drives are reachable; cannot create a new deployment`,
      );
    }
    const deploymentId = randomUUID();
    const set = drives.map(() => randomUUID());
    await Promise.all(
      drives.map(async (drive, slot) => {
        if (formats[slot] === 'offline') return;
        await drive.writeFormat(formatFor(deploymentId, set, slot));
      }),
    );
    opts.logger.info({ deploymentId, drives: n }, 'created a new deployment');
    return { deploymentId, set, freshSlots: [], offlineSlots, created: true };
  }

  // Reference: the (deployment, set) most drives agree on.
  const groups = new Map<string, { deploymentId: string; set: string[]; count: number }>();
  for (const { format } of formatted) {
    const id = `${format.deploymentId}|${format.set.join(',')}`;
    const group = groups.get(id) ?? { deploymentId: format.deploymentId, set: format.set, count: 0 };
    group.count++;
    groups.set(id, group);
  }
  const reference = [...groups.values()].sort((a, b) => b.count - a.count)[0];
  if (!reference || reference.count < opts.minAgreeing) {
    throw new FormatError(
      `only ${reference?.count ?? 0} of ${n} drives carry the same deployment format; need at least ${opts.minAgreeing}. ` +
        `Drives: ${formatted.map(({ slot, format }) => `${drives[slot]?.endpoint} (deployment ${format.deploymentId})`).join(', ')}`,
    );
  }
  if (reference.set.length !== n) {
    throw new FormatError(
      `the drives belong to a set of ${reference.set.length} drives but ${n} were given; pass the same drive list as when the deployment was created`,
    );
  }

  for (const { slot, format } of formatted) {
    const path = drives[slot]?.endpoint;
    if (format.deploymentId !== reference.deploymentId) {
      throw new FormatError(
        `drive ${path} belongs to another deployment (${format.deploymentId}, expected ${reference.deploymentId}); remove it or wipe it to reuse it`,
      );
    }
    if (format.set.join(',') !== reference.set.join(',')) {
      throw new FormatError(
        `drive ${path} has a set layout that disagrees with the other drives; refusing to start`,
      );
    }
    const expectedId = reference.set[slot];
    if (format.driveId !== expectedId || format.driveIndex !== slot) {
      const belongs = reference.set.indexOf(format.driveId);
      const where =
        belongs >= 0
          ? `it belongs in slot ${belongs + 1} (${drives[belongs]?.endpoint ?? '?'})`
          : 'its id is not part of this set';
      throw new FormatError(
        `drive ${path} is in slot ${slot + 1} but ${where}; the drive order changed — pass the drives in their original order`,
      );
    }
  }

  const freshSlots: number[] = [];
  for (let slot = 0; slot < n; slot++) {
    if (formats[slot] !== null) continue;
    const drive = drives[slot];
    if (!drive) continue;
    await drive.writeFormat(formatFor(reference.deploymentId, reference.set, slot));
    opts.logger.warn(
      { drive: drive.endpoint, slot },
      'formatted an empty drive into its slot; a full heal will rebuild it',
    );
    freshSlots.push(slot);
  }
  return {
    deploymentId: reference.deploymentId,
    set: reference.set,
    freshSlots,
    offlineSlots,
    created: false,
  };
}

function formatFor(deploymentId: string, set: string[], slot: number): DriveFormat {
  const driveId = set[slot];
  if (driveId === undefined) throw new RangeError(`slot ${slot} outside a set of ${set.length}`);
  return { formatVersion: FORMAT_VERSION, deploymentId, set: [...set], driveId, driveIndex: slot };
}
