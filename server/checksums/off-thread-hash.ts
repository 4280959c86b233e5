import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** The node:crypto digests that can run on a hashing thread. */
export type OffThreadAlgorithm = 'MD5' | 'SHA256' | 'SHA1';

/**
 * Bytes are handed to the hashing thread in slots of this size: copied from the body's
 * chunks into a slot (a memcpy costs a few % of what MD5 does per byte), and the slot's
 * ArrayBuffer is transferred to the thread and back (moved, not copied). Not a
 * SharedArrayBuffer: V8 copies into shared memory with relaxed atomic word stores, which
 * measured ~0.8 ms per MiB on the event loop, nearly half the MD5 it was meant to save.
 */
const SLOT_BYTES = 256 * 1024;
/** Slots per body: the body runs at most this far ahead of its hashing thread. */
const SLOTS_PER_BODY = 4;
/**
 * Slots in the process, in bodies' hands and idle together (16 MiB): a body's slots beyond
 * its first are only taken below this, and idle slots are kept for the next bodies only
 * below it. Each body always has one slot, so with more bodies than this in flight they
 * hash one slot at a time. 4 slots for each of 64 concurrent PUTs plus a cache of 256 held
 * 128 MiB outside the BufferPool (bench/README.md, "memory").
 */
const MAX_SLOTS = 64;
/** Hashing threads at most; one per core beyond the one the event loop runs on. */
const MAX_WORKERS = 4;

/**
 * The hashing thread: one incremental node:crypto hash set per body id, fed in the order
 * its messages arrive (postMessage keeps order), so each body's digest is the hash of its
 * bytes in order however many bodies share the thread.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const states = new Map();
parentPort.on('message', (m) => {
  try {
    if (m.op === 'open') {
      states.set(m.id, m.algorithms.map((a) => createHash(a)));
    } else if (m.op === 'update') {
      const hashes = states.get(m.id);
      if (hashes) {
        const view = new Uint8Array(m.buffer, 0, m.length);
        for (const h of hashes) h.update(view);
      }
      parentPort.postMessage({ op: 'updated', id: m.id, buffer: m.buffer }, [m.buffer]);
    } else if (m.op === 'digest') {
      const hashes = states.get(m.id) || [];
      states.delete(m.id);
      parentPort.postMessage({ op: 'digests', id: m.id, digests: hashes.map((h) => h.digest()) });
    } else if (m.op === 'drop') {
      states.delete(m.id);
    }
  } catch (err) {
    parentPort.postMessage({ op: 'error', id: m.id, message: String(err && err.message) });
  }
});
`;

type WorkerReply =
  | { op: 'updated'; id: number; buffer: ArrayBuffer }
  | { op: 'digests'; id: number; digests: Uint8Array[] }
  | { op: 'error'; id: number; message: string };

/** One hashing thread and the bodies it serves. */
class HashThread {
  readonly worker: Worker;
  readonly bodies = new Map<number, OffThreadHash>();
  dead = false;

  constructor(onDeath: (thread: HashThread) => void) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, name: 'strata-hash' });
    // Never keeps the process alive: a body still hashing has its request holding it open.
    this.worker.unref();
    this.worker.on('message', (reply: WorkerReply) => this.bodies.get(reply.id)?.onReply(reply));
    const die = (err: Error): void => {
      if (this.dead) return;
      this.dead = true;
      onDeath(this);
      for (const body of this.bodies.values()) body.onThreadDeath(err);
      this.bodies.clear();
    };
    this.worker.on('error', die);
    this.worker.on('exit', (code) => die(new Error(`hashing thread exited with code ${code}`)));
  }
}

/**
 * The hashing threads of this process, started on first use. A process-wide resource like
 * libuv's threadpool (and like the idle CRC64 hashers in create-checksum.ts): bodies only
 * borrow a thread, and the threads never keep the process alive.
 */
const threads: HashThread[] = [];
const idleSlots: ArrayBuffer[] = [];
/** Slots that bodies hold (free, being filled or with a thread). */
let slotsOut = 0;
let nextBodyId = 1;

function takeSlot(): ArrayBuffer {
  slotsOut++;
  return idleSlots.pop() ?? new ArrayBuffer(SLOT_BYTES);
}

function workerCount(): number {
  return Math.max(1, Math.min(MAX_WORKERS, availableParallelism() - 1));
}

/** The thread with the fewest bodies, starting one while fewer than workerCount() run. */
function pickThread(): HashThread {
  let best: HashThread | undefined;
  for (const t of threads) if (best === undefined || t.bodies.size < best.bodies.size) best = t;
  if (best !== undefined && (best.bodies.size === 0 || threads.length >= workerCount())) return best;
  const thread = new HashThread((dead) => {
    const at = threads.indexOf(dead);
    if (at >= 0) threads.splice(at, 1);
  });
  threads.push(thread);
  return thread;
}

/**
 * Incremental node:crypto digests of one body computed on a hashing thread, so the event
 * loop only copies the bytes (the main thread otherwise spends more time in MD5 than in
 * everything else a PUT does: bench/README.md). Feed bytes with update() in order, then
 * call digests() once; drop() when the body is abandoned.
 */
export class OffThreadHash {
  private readonly id: number;
  private readonly thread: HashThread;
  /** Slots here, not with the thread. */
  private readonly free: ArrayBuffer[];
  /** Slots this body holds, here or with the thread. */
  private owned: number;
  /** Slot being filled, or null. */
  private slot: Uint8Array | null;
  private fill: number;
  private waitingForSlot: (() => void) | null;
  private result: { resolve: (d: Uint8Array[]) => void; reject: (e: Error) => void } | null;
  private failure: Error | null;
  private finished: boolean;

  constructor(readonly algorithms: readonly OffThreadAlgorithm[]) {
    this.id = nextBodyId++;
    this.thread = pickThread();
    this.free = [takeSlot()];
    this.owned = 1;
    this.slot = null;
    this.fill = 0;
    this.waitingForSlot = null;
    this.result = null;
    this.failure = null;
    this.finished = false;
    this.thread.bodies.set(this.id, this);
    this.thread.worker.postMessage({ op: 'open', id: this.id, algorithms: algorithms.map(nodeName) });
  }

  /**
   * Copies `chunk` for hashing. Returns null when it was taken right away, or a promise to
   * await before the next update when all slots are with the hashing thread (backpressure);
   * the promise rejects if the thread failed. `chunk` is not kept either way.
   */
  update(chunk: Uint8Array): Promise<void> | null {
    if (this.failure) return Promise.reject(this.failure);
    let pos = 0;
    while (pos < chunk.byteLength) {
      if (this.slot === null) {
        if (this.free.length === 0 && this.owned < SLOTS_PER_BODY && slotsOut < MAX_SLOTS) {
          this.free.push(takeSlot());
          this.owned++;
        }
        const slot = this.free.pop();
        if (slot === undefined) {
          const rest = chunk.subarray(pos);
          return new Promise<void>((resolve) => {
            this.waitingForSlot = resolve;
          }).then(() => this.update(rest) ?? undefined);
        }
        this.slot = new Uint8Array(slot);
        this.fill = 0;
      }
      const n = Math.min(SLOT_BYTES - this.fill, chunk.byteLength - pos);
      this.slot.set(chunk.subarray(pos, pos + n), this.fill);
      this.fill += n;
      pos += n;
      if (this.fill === SLOT_BYTES) this.send();
    }
    return null;
  }

  /** The digests, in the order of `algorithms`, once every byte has been hashed. Call once. */
  digests(): Promise<Uint8Array[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.slot !== null && this.fill > 0) this.send();
    return new Promise<Uint8Array[]>((resolve, reject) => {
      this.result = { resolve, reject };
      this.thread.worker.postMessage({ op: 'digest', id: this.id });
    });
  }

  /** Abandons the body: the thread forgets its state. Idempotent. */
  drop(): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.thread.dead) this.thread.worker.postMessage({ op: 'drop', id: this.id });
    this.thread.bodies.delete(this.id);
    // Slots still with the thread stay there and become garbage.
    if (this.slot !== null) this.free.push(this.slot.buffer as ArrayBuffer);
    this.slot = null;
    slotsOut -= this.owned - this.free.length;
    this.owned = this.free.length;
    this.recycle();
  }

  /** @internal Called by the thread's message handler. */
  onReply(reply: WorkerReply): void {
    if (reply.op === 'updated') {
      this.free.push(reply.buffer);
      const wake = this.waitingForSlot;
      this.waitingForSlot = null;
      wake?.();
    } else if (reply.op === 'digests') {
      this.finished = true;
      this.thread.bodies.delete(this.id);
      this.recycle();
      this.result?.resolve(reply.digests);
    } else {
      this.onThreadDeath(new Error(`hashing failed: ${reply.message}`));
    }
  }

  /** @internal The thread failed or exited: every pending and later call rejects. */
  onThreadDeath(err: Error): void {
    this.failure = err;
    this.thread.bodies.delete(this.id);
    this.result?.reject(err);
    this.result = null;
    const wake = this.waitingForSlot;
    this.waitingForSlot = null;
    wake?.();
  }

  private send(): void {
    const buffer = (this.slot as Uint8Array).buffer as ArrayBuffer;
    this.thread.worker.postMessage({ op: 'update', id: this.id, buffer, length: this.fill }, [buffer]);
    this.slot = null;
    this.fill = 0;
  }

  /** Slots back to the idle cache (or to the GC beyond MAX_SLOTS). */
  private recycle(): void {
    for (const slot of this.free.splice(0)) {
      slotsOut--;
      this.owned--;
      if (slotsOut + idleSlots.length < MAX_SLOTS) idleSlots.push(slot);
    }
  }
}

function nodeName(algorithm: OffThreadAlgorithm): string {
  return algorithm === 'MD5' ? 'md5' : algorithm === 'SHA256' ? 'sha256' : 'sha1';
}
