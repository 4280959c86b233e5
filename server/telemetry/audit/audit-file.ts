import { type FileHandle, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface AuditFileOptions {
  /** The file written to, e.g. /var/log/strata/audit.log. */
  path: string;
  /** Rotate before the file would grow past this many bytes. */
  maxBytes: number;
  /** Rotated files kept: `<path>.1` (newest) … `<path>.<keep>` (oldest); 0 keeps none. */
  keep: number;
  /** How often waiting entries are written and synced. */
  flushIntervalMs?: number;
  /** Upper bound for entries waiting in memory while a write is in progress, bytes. */
  pendingMaxBytes?: number;
  /** Reports a failed write or rotation (the entries are lost). Must not throw. */
  onProblem?: (err: unknown, lostRecords: number) => void;
}

export interface AuditFileStats {
  /** Entries written to the file. */
  written: number;
  /** Entries waiting in memory for the next write. */
  pendingRecords: number;
  pendingBytes: number;
  /** Entries refused because too many were waiting, or lost to a failed write. */
  dropped: number;
  /** Writes that failed. */
  failedWrites: number;
}

const DEFAULT_FLUSH_INTERVAL_MS = 1000;
const DEFAULT_PENDING_MAX_BYTES = 8 * 1024 * 1024;
/** Write early once this many bytes are waiting. */
const FLUSH_BYTES = 256 * 1024;

/**
 * The local audit file: NDJSON, one entry per line, appended in batches (written and
 * fdatasync'ed every flushIntervalMs, so a crash loses at most that interval) and
 * rotated by size like logrotate: before a write would take the file past maxBytes,
 * `<path>.<keep-1>` … `<path>.1` and `<path>` each move one number up and the oldest
 * is deleted. A file never splits an entry. Appends never block: when the disk falls
 * behind by more than pendingMaxBytes, entries are dropped and counted.
 */
export class AuditFile {
  private readonly path: string;
  private readonly maxBytes: number;
  private readonly keep: number;
  private readonly pendingMaxBytes: number;
  private readonly onProblem: (err: unknown, lostRecords: number) => void;
  /** Undefined after a failed rotation: the next write opens the file again. */
  private file: FileHandle | undefined;
  private size: number;
  private pending: string[] = [];
  private pendingBytes = 0;
  private written = 0;
  private dropped = 0;
  private failedWrites = 0;
  private flushChain: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  private constructor(opts: AuditFileOptions, file: FileHandle, size: number) {
    this.path = opts.path;
    this.maxBytes = opts.maxBytes;
    this.keep = opts.keep;
    this.pendingMaxBytes = opts.pendingMaxBytes ?? DEFAULT_PENDING_MAX_BYTES;
    this.onProblem = opts.onProblem ?? (() => {});
    this.file = file;
    this.size = size;
    this.timer = setInterval(() => void this.flush(), opts.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  /** Opens `opts.path` for appending (creating its directory). Throws when that fails. */
  static async open(opts: AuditFileOptions): Promise<AuditFile> {
    await mkdir(dirname(opts.path), { recursive: true });
    const file = await open(opts.path, 'a');
    const size = (await file.stat()).size;
    return new AuditFile(opts, file, size);
  }

  /** Queues one entry (a line without '\n'); false when dropped. Never blocks, never throws. */
  append(line: string): boolean {
    const bytes = Buffer.byteLength(line) + 1;
    if (this.closed || this.pendingBytes + bytes > this.pendingMaxBytes) {
      this.dropped++;
      return false;
    }
    this.pending.push(line);
    this.pendingBytes += bytes;
    if (this.pendingBytes >= FLUSH_BYTES) void this.flush();
    return true;
  }

  /** Writes and syncs what is waiting. Never rejects. */
  flush(): Promise<void> {
    const run = this.flushChain.then(() => this.writePending()).catch(() => undefined);
    this.flushChain = run;
    return run;
  }

  stats(): AuditFileStats {
    return {
      written: this.written,
      pendingRecords: this.pending.length,
      pendingBytes: this.pendingBytes,
      dropped: this.dropped,
      failedWrites: this.failedWrites,
    };
  }

  /** Writes everything appended so far and closes the file; later appends are dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.flush();
    await this.file?.close();
    this.file = undefined;
  }

  private async writePending(): Promise<void> {
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    let done = 0;
    try {
      while (done < lines.length) {
        if (this.file === undefined) await this.reopen();
        const first = Buffer.byteLength(lines[done] as string) + 1;
        if (this.size > 0 && this.size + first > this.maxBytes) await this.rotate();
        // As many lines as fit; at least one, so an entry larger than maxBytes still lands.
        let bytes = first;
        let end = done + 1;
        while (end < lines.length) {
          const next = Buffer.byteLength(lines[end] as string) + 1;
          if (this.size + bytes + next > this.maxBytes) break;
          bytes += next;
          end++;
        }
        const data = Buffer.from(`${lines.slice(done, end).join('\n')}\n`);
        await (this.file as FileHandle).write(data, 0, data.length);
        this.size += data.length;
        this.written += end - done;
        done = end;
      }
      await this.file?.datasync();
    } catch (err) {
      this.failedWrites++;
      this.dropped += lines.length - done;
      this.onProblem(err, lines.length - done);
      // Cut a partial write so the next entry starts on its own line.
      await this.file?.truncate(this.size).catch(() => undefined);
    }
  }

  private async rotate(): Promise<void> {
    const old = this.file;
    this.file = undefined;
    if (old !== undefined) {
      await old.datasync();
      await old.close();
    }
    if (this.keep === 0) {
      await rm(this.path, { force: true });
    } else {
      await rm(`${this.path}.${this.keep}`, { force: true });
      for (let n = this.keep - 1; n >= 1; n--) {
        await renameIfExists(`${this.path}.${n}`, `${this.path}.${n + 1}`);
      }
      await renameIfExists(this.path, `${this.path}.1`);
    }
    await this.reopen();
  }

  private async reopen(): Promise<FileHandle> {
    const file = await open(this.path, 'a');
    this.size = (await stat(this.path)).size;
    this.file = file;
    return file;
  }
}

async function renameIfExists(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
