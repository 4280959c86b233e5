import { randomBytes } from 'node:crypto';

/** Shape of every id from IdGenerator: 12 hex ms timestamp, 4 hex sequence, 16 hex random. */
export const TIME_ORDERED_ID_RE = /^[0-9a-f]{32}$/;

/**
 * Version ids and upload ids: unique, and increasing in generation order within a
 * process (the millisecond clock, then a sequence number, then randomness), so upload
 * ids of one key sort by initiation time in the uploads db. Never 'null', never
 * contains 0x00 (both would break record keys).
 */
export class IdGenerator {
  private lastMs: number;
  private sequence: number;

  constructor() {
    this.lastMs = 0;
    this.sequence = 0;
  }

  next(): string {
    const now = Date.now();
    if (now > this.lastMs) {
      this.lastMs = now;
      this.sequence = 0;
    } else if (++this.sequence > 0xffff) {
      // More than 65,536 ids in one millisecond: borrow from the next one.
      this.lastMs++;
      this.sequence = 0;
    }
    return (
      this.lastMs.toString(16).padStart(12, '0') +
      this.sequence.toString(16).padStart(4, '0') +
      randomBytes(8).toString('hex')
    );
  }
}
