import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A bounded, disk-backed FIFO of text lines (audit entries as NDJSON) for one delivery
 * target. Appends never wait and never throw; one consumer reads from the oldest entry
 * and acknowledges what its target accepted.
 *
 * On disk, in `dir` (do not change: on-disk format, version 1):
 *
 *   <dir>/00000000000000000001.ndjson   segment files, named by a 20-digit sequence number;
 *   <dir>/00000000000000000002.ndjson   each holds whole lines, one entry per line ('\n')
 *   <dir>/cursor.json                   {"version":1,"segment":N,"offset":BYTES}: everything
 *                                       before byte BYTES of segment N has been delivered
 *
 * Appends collect in memory and are written to the newest segment and fdatasync'ed in
 * one batch every `flushIntervalMs` (or sooner when `flushRecords` are waiting), so a
 * crash loses at most the entries of the last interval; close() writes everything.
 * The consumer only sees synced bytes. The cursor is replaced by temp + fsync + rename
 * after each acknowledged batch, and segments the cursor has passed are deleted.
 *
 * Delivery is at-least-once: a batch the target accepted but whose acknowledgement was
 * not persisted (crash, shutdown mid-send) is sent again after a restart.
 *
 * Bounded: when the entries not yet delivered would exceed `maxBytes`, or the entries
 * waiting in memory for the disk exceed `pendingMaxBytes`, new entries are dropped and
 * counted (stats().dropped); nothing blocks and memory does not grow with the backlog.
 * Delivered entries leave the disk a segment at a time, so the directory holds at most
 * `maxBytes` plus one segment (`segmentBytes`).
 *
 * One process owns a directory at a time.
 */
export interface DiskQueueOptions {
  dir: string;
  /** Upper bound for entries not yet delivered (on disk plus waiting in memory), bytes. */
  maxBytes: number;
  /** A segment is closed and a new one started once it holds this many bytes. */
  segmentBytes?: number;
  /** How often waiting entries are written and synced. */
  flushIntervalMs?: number;
  /** Write early once this many entries are waiting. */
  flushRecords?: number;
  /** Upper bound for entries waiting in memory while a write is in progress, bytes. */
  pendingMaxBytes?: number;
  /** Called after new entries became readable (wakes the consumer). Must not throw. */
  onReadable?: () => void;
  /** Reports I/O failures and drops (rate limiting is the caller's business). Must not throw. */
  onProblem?: (problem: QueueProblem) => void;
}

export type QueueProblem =
  | { kind: 'write-failed'; err: unknown; lostRecords: number }
  | { kind: 'torn-tail'; segment: number; bytes: number }
  | { kind: 'cursor-unreadable'; err: unknown };

/** A position in the queue: byte `offset` of segment number `segment`. */
export interface QueuePosition {
  segment: number;
  offset: number;
}

/** Entries read from the queue; hand it back to ack() once delivered. */
export interface QueueBatch {
  lines: string[];
  /** Where the next batch starts. */
  end: QueuePosition;
  /** Bytes the lines take on disk, newlines included. */
  bytes: number;
}

export interface QueueStats {
  /** Entries not yet acknowledged (on disk and waiting in memory). */
  queuedRecords: number;
  queuedBytes: number;
  /** Entries refused because the queue was full or lost to a failed write. */
  dropped: number;
}

const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;
const DEFAULT_FLUSH_INTERVAL_MS = 1000;
const DEFAULT_FLUSH_RECORDS = 100;
const DEFAULT_PENDING_MAX_BYTES = 8 * 1024 * 1024;
/** Read sizes: about 2 KiB per entry wanted (entries are well under that), within these bounds. */
const MIN_READ_BYTES = 64 * 1024;
const READ_CHUNK_BYTES = 1024 * 1024;
/** Longer lines are not entries Strata wrote (a few KiB at most). */
const MAX_LINE_BYTES = 16 * 1024 * 1024;
const NEWLINE = 0x0a;

/** Do not change: on-disk format. */
const CURSOR_FILE = 'cursor.json';
const CURSOR_TEMP_FILE = 'cursor.json.tmp';
const CURSOR_VERSION = 1;
const SEGMENT_NAME = /^(\d{20})\.ndjson$/;

function segmentName(seq: number): string {
  return `${String(seq).padStart(20, '0')}.ndjson`;
}

interface Segment {
  seq: number;
  /** Bytes written and synced: what the consumer may read. */
  size: number;
}

export class DiskQueue {
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly flushRecords: number;
  private readonly pendingMaxBytes: number;
  private readonly onReadable: () => void;
  private readonly onProblem: (problem: QueueProblem) => void;
  /** Oldest first; the first is the cursor's segment, the last is written to. */
  private readonly segments: Segment[];
  private cursor: QueuePosition;
  private writer: FileHandle;
  private pending: string[] = [];
  private pendingBytes = 0;
  private queuedRecords: number;
  private queuedBytes: number;
  private dropped = 0;
  private flushChain: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  private constructor(
    opts: DiskQueueOptions,
    state: { segments: Segment[]; cursor: QueuePosition; writer: FileHandle; records: number; bytes: number },
  ) {
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes;
    this.segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.flushRecords = opts.flushRecords ?? DEFAULT_FLUSH_RECORDS;
    this.pendingMaxBytes = opts.pendingMaxBytes ?? DEFAULT_PENDING_MAX_BYTES;
    this.onReadable = opts.onReadable ?? (() => {});
    this.onProblem = opts.onProblem ?? (() => {});
    this.segments = state.segments;
    this.cursor = state.cursor;
    this.writer = state.writer;
    this.queuedRecords = state.records;
    this.queuedBytes = state.bytes;
    this.timer = setInterval(() => void this.flush(), opts.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  /**
   * Opens (or creates) the queue in `opts.dir` and resumes from its cursor. Entries
   * left on disk by an earlier process are delivered first. Throws when the directory
   * cannot be created or read.
   */
  static async open(opts: DiskQueueOptions): Promise<DiskQueue> {
    const dir = opts.dir;
    await mkdir(dir, { recursive: true });
    await rm(join(dir, CURSOR_TEMP_FILE), { force: true });

    const segments: Segment[] = [];
    for (const name of await readdir(dir)) {
      const m = SEGMENT_NAME.exec(name);
      if (m?.[1] === undefined) continue;
      segments.push({ seq: Number(m[1]), size: (await stat(join(dir, name))).size });
    }
    segments.sort((a, b) => a.seq - b.seq);

    let cursor: QueuePosition | undefined;
    try {
      cursor = await readCursor(dir);
    } catch (err) {
      // Start over from the oldest segment: entries may be sent twice, none is lost.
      opts.onProblem?.({ kind: 'cursor-unreadable', err });
    }
    cursor ??= { segment: segments[0]?.seq ?? 1, offset: 0 };

    // Segments the cursor has passed were delivered; a crash may have kept them.
    while (segments[0] !== undefined && segments[0].seq < cursor.segment) {
      await unlink(join(dir, segmentName(segments[0].seq)));
      segments.shift();
    }
    const first = segments[0];
    if (first === undefined || first.seq > cursor.segment) {
      cursor = { segment: first?.seq ?? cursor.segment, offset: 0 };
    } else {
      // The segment lost synced-looking bytes in a crash: nothing past its end exists.
      cursor = { segment: cursor.segment, offset: Math.min(cursor.offset, first.size) };
    }

    // Writes go to a fresh segment, so a torn line left by a crash is never extended.
    const last = segments.at(-1);
    if (last === undefined || last.size > 0) {
      const seq = last === undefined ? cursor.segment : last.seq + 1;
      segments.push({ seq, size: 0 });
    }
    const writeSeq = (segments.at(-1) as Segment).seq;
    const writer = await open(join(dir, segmentName(writeSeq)), 'a');
    await syncDir(dir);

    let records = 0;
    let bytes = 0;
    for (const segment of segments) {
      const from = segment.seq === cursor.segment ? cursor.offset : 0;
      bytes += segment.size - from;
      records += await countLines(join(dir, segmentName(segment.seq)), from, segment.size);
    }
    return new DiskQueue(opts, { segments, cursor, writer, records, bytes });
  }

  /**
   * Queues one entry (a line without '\n'). Returns false when it was dropped because
   * the queue is full or closed. Never blocks, never throws.
   */
  append(line: string): boolean {
    const bytes = Buffer.byteLength(line) + 1;
    if (
      this.closed ||
      this.queuedBytes + bytes > this.maxBytes ||
      this.pendingBytes + bytes > this.pendingMaxBytes
    ) {
      this.dropped++;
      return false;
    }
    this.pending.push(line);
    this.pendingBytes += bytes;
    this.queuedBytes += bytes;
    this.queuedRecords++;
    if (this.pending.length >= this.flushRecords) void this.flush();
    return true;
  }

  /** Writes and syncs the entries waiting in memory. Never rejects (failures go to onProblem). */
  flush(): Promise<void> {
    const run = this.flushChain.then(() => this.writePending()).catch(() => undefined);
    this.flushChain = run;
    return run;
  }

  /**
   * Reads up to `maxRecords` entries from the cursor, or undefined when everything
   * written has been acknowledged. The single consumer calls it again only after
   * ack(); until then it returns the same entries.
   */
  async peek(maxRecords: number): Promise<QueueBatch | undefined> {
    for (;;) {
      const segment = this.segments[0] as Segment;
      const isLast = this.segments.length === 1;
      const available = segment.size - this.cursor.offset;
      if (available <= 0) {
        if (isLast) return undefined;
        await this.moveToNextSegment();
        continue;
      }
      const batch = await this.readLines(segment, available, maxRecords);
      if (batch !== undefined) return batch;
      // No complete line up to the end of a finished segment: a torn write before a crash.
      this.onProblem({ kind: 'torn-tail', segment: segment.seq, bytes: available });
      this.queuedBytes -= available;
      this.cursor = { segment: segment.seq, offset: segment.size };
      if (isLast) return undefined;
    }
  }

  /** Marks `batch` as delivered: persists the cursor after it. */
  async ack(batch: QueueBatch): Promise<void> {
    this.cursor = batch.end;
    this.queuedRecords -= batch.lines.length;
    this.queuedBytes -= batch.bytes;
    await writeCursor(this.dir, this.cursor);
  }

  stats(): QueueStats {
    return { queuedRecords: this.queuedRecords, queuedBytes: this.queuedBytes, dropped: this.dropped };
  }

  /** Writes and syncs everything appended so far and closes the files; later appends are dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.flush();
    await this.writer.close();
  }

  private async writePending(): Promise<void> {
    if (this.pending.length === 0) return;
    const lines = this.pending;
    const bytes = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    let segment = this.segments.at(-1) as Segment;
    try {
      if (segment.size >= this.segmentBytes) segment = await this.startSegment();
      const data = Buffer.from(`${lines.join('\n')}\n`);
      await this.writer.write(data, 0, data.length);
      await this.writer.datasync();
      segment.size += data.length;
    } catch (err) {
      this.queuedRecords -= lines.length;
      this.queuedBytes -= bytes;
      this.dropped += lines.length;
      this.onProblem({ kind: 'write-failed', err, lostRecords: lines.length });
      // A partial write must not glue its torn line onto the next entry.
      await this.writer.truncate(segment.size).catch(() => this.startSegment().catch(() => undefined));
      return;
    }
    this.onReadable();
  }

  /** Closes the segment being written and starts the next one. */
  private async startSegment(): Promise<Segment> {
    const seq = (this.segments.at(-1) as Segment).seq + 1;
    const writer = await open(join(this.dir, segmentName(seq)), 'a');
    await syncDir(this.dir);
    const previous = this.writer;
    this.writer = writer;
    const segment = { seq, size: 0 };
    this.segments.push(segment);
    await previous.close().catch(() => undefined);
    return segment;
  }

  /** The cursor is at the end of a finished segment: persist the move, then delete it. */
  private async moveToNextSegment(): Promise<void> {
    const done = this.segments[0] as Segment;
    const next = this.segments[1] as Segment;
    this.cursor = { segment: next.seq, offset: 0 };
    // Cursor first: a crash between the two leaves a delivered segment that open() deletes.
    await writeCursor(this.dir, this.cursor);
    this.segments.shift();
    await unlink(join(this.dir, segmentName(done.seq)));
  }

  private async readLines(
    segment: Segment,
    available: number,
    maxRecords: number,
  ): Promise<QueueBatch | undefined> {
    const file = await open(join(this.dir, segmentName(segment.seq)), 'r');
    try {
      // Doubled while a single line does not fit, up to MAX_LINE_BYTES.
      let chunk = Math.min(READ_CHUNK_BYTES, Math.max(MIN_READ_BYTES, maxRecords * 2048));
      for (;;) {
        const size = Math.min(available, chunk);
        const buf = Buffer.allocUnsafe(size);
        const { bytesRead } = await file.read(buf, 0, size, this.cursor.offset);
        const lines: string[] = [];
        let start = 0;
        while (lines.length < maxRecords) {
          const nl = buf.indexOf(NEWLINE, start);
          if (nl === -1 || nl >= bytesRead) break;
          lines.push(buf.toString('utf8', start, nl));
          start = nl + 1;
        }
        if (lines.length > 0) {
          return {
            lines,
            end: { segment: segment.seq, offset: this.cursor.offset + start },
            bytes: start,
          };
        }
        if (bytesRead >= available || chunk >= MAX_LINE_BYTES) return undefined;
        chunk *= 2;
      }
    } finally {
      await file.close();
    }
  }
}

async function readCursor(dir: string): Promise<QueuePosition | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, CURSOR_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const value = JSON.parse(text) as { version?: unknown; segment?: unknown; offset?: unknown };
  if (
    value.version !== CURSOR_VERSION ||
    !Number.isSafeInteger(value.segment) ||
    !Number.isSafeInteger(value.offset) ||
    (value.offset as number) < 0
  ) {
    throw new Error(`unrecognized audit queue cursor: ${text.slice(0, 200)}`);
  }
  return { segment: value.segment as number, offset: value.offset as number };
}

/** Replaces the cursor atomically: temp file, fsync, rename, fsync the directory. */
async function writeCursor(dir: string, cursor: QueuePosition): Promise<void> {
  const temp = join(dir, CURSOR_TEMP_FILE);
  const file = await open(temp, 'w');
  try {
    await file.writeFile(
      JSON.stringify({ version: CURSOR_VERSION, segment: cursor.segment, offset: cursor.offset }),
    );
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, join(dir, CURSOR_FILE));
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Complete lines between byte `from` and `to` of a file. */
async function countLines(path: string, from: number, to: number): Promise<number> {
  if (to <= from) return 0;
  const file = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, to - from));
    let count = 0;
    for (let pos = from; pos < to; ) {
      const { bytesRead } = await file.read(buf, 0, Math.min(buf.length, to - pos), pos);
      if (bytesRead === 0) break;
      for (let i = buf.indexOf(NEWLINE); i !== -1 && i < bytesRead; i = buf.indexOf(NEWLINE, i + 1)) count++;
      pos += bytesRead;
    }
    return count;
  } finally {
    await file.close();
  }
}
