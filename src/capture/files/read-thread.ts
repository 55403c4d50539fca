// Hop files read in worker threads (replay --threads N): each worker walks its files with the
// same HopSource cursor the main thread would use and packs the frames into batches of about
// 1 MiB, transferred (not copied) to the main thread: one message per batch, none per frame.
// The main thread merges and decodes. Warnings and a read error travel in the batches at the
// frame they came before, so the trace meets them at the same point as without threads.
// Memory stays bounded: a file has at most BATCHES_AHEAD batches not yet consumed.
import { MessageChannel, receiveMessageOnPort, type MessagePort, Worker } from 'node:worker_threads';
import { errorFromValue, type ErrorValue } from '../../errors.js';
import type { SourceWarning } from '../../model.js';
import type { HopMap } from './hop-source.js';
import type { OpenOptions } from './open.js';
import { CursorPosition } from './types.js';

/** Per frame in a batch: hop, linkType, tsSec, tsNsec, start, end, origLen. */
export const META_FIELDS = 7;
export const BATCH_BYTES = 1 << 20;
export const BATCHES_AHEAD = 4;
/** A worker that has said nothing for this long is taken as stuck. */
const SILENCE_LIMIT_MS = 60_000;

/** What a worker is given: its files and where to send each one's batches. */
export interface ReadJob {
  files: { file: string; map: HopMap; port: MessagePort; slot: number }[];
  options: OpenOptions;
  /** Int32 per file slot: batches sent (worker) and batches consumed (main); [0] wakes the worker. */
  control: SharedArrayBuffer;
}

/** One batch: frames packed back to back, and what happened after which frame. */
export interface Batch {
  count: number;
  meta: Float64Array;
  bytes: Uint8Array;
  /** Warnings met before frame `before` (count: at the end of the batch). */
  warnings: { before: number; warning: SourceWarning }[];
  /** The file's stream ends after this batch, cleanly or with this error. */
  end?: { error?: ErrorValue };
}

export const sentIndex = (slot: number) => 1 + 2 * slot;
export const consumedIndex = (slot: number) => 2 + 2 * slot;

/** The main thread's side of one file read by a worker: a cursor as HopSource is one. */
export class ThreadedHopCursor extends CursorPosition {
  private batch: Batch | null = null;
  private index = 0;
  private warned = 0;
  private received = 0;
  private finished = false;

  constructor(
    private readonly port: MessagePort,
    private readonly control: Int32Array,
    private readonly slot: number,
    private readonly warn: (warning: SourceWarning) => void,
  ) {
    super();
  }

  advance(): boolean {
    for (;;) {
      if (this.finished) return false;
      const batch = this.batch ?? this.receive();
      this.tellWarnings(batch, this.index);
      if (this.index < batch.count) {
        const m = batch.meta;
        const at = this.index++ * META_FIELDS;
        this.place(m[at], m[at + 1], m[at + 2], m[at + 3], batch.bytes, m[at + 4], m[at + 5], m[at + 6]);
        return true;
      }
      this.batch = null;
      Atomics.add(this.control, consumedIndex(this.slot), 1);
      Atomics.add(this.control, 0, 1);
      Atomics.notify(this.control, 0);
      if (batch.end) {
        this.finished = true;
        this.port.close();
        const error = batch.end.error;
        if (error) throw errorFromValue(error);
      }
    }
  }

  close(): void {
    this.finished = true;
    this.port.close();
  }

  private tellWarnings(batch: Batch, before: number): void {
    while (this.warned < batch.warnings.length && batch.warnings[this.warned].before <= before) this.warn(batch.warnings[this.warned++].warning);
  }

  /** The next batch: waits (blocking this thread) until the worker has sent it. */
  private receive(): Batch {
    const sent = sentIndex(this.slot);
    let silentSince = Date.now();
    for (;;) {
      const message = receiveMessageOnPort(this.port);
      if (message) {
        this.received++;
        this.batch = message.message as Batch;
        this.index = 0;
        this.warned = 0;
        return this.batch;
      }
      const seen = Atomics.load(this.control, sent);
      if (seen > this.received) {
        silentSince = Date.now();
        continue; // counted before it was queued: it is on its way
      }
      if (Atomics.wait(this.control, sent, seen, 100) === 'timed-out' && Date.now() - silentSince > SILENCE_LIMIT_MS) {
        throw new Error(`the thread reading a hop file stopped answering for ${SILENCE_LIMIT_MS / 1000} s`);
      }
    }
  }
}

/**
 * Starts `threads` workers over the files (shared out round-robin) and returns one cursor per
 * file, in file order, and a function that stops the workers.
 */
export function startReadThreads(
  files: { file: string; map: HopMap }[],
  options: OpenOptions,
  threads: number,
  warn: (warning: SourceWarning) => void,
): { cursors: ThreadedHopCursor[]; stop: () => void } {
  const workers = Math.max(1, Math.min(threads, files.length));
  const controls = Array.from({ length: workers }, () => new SharedArrayBuffer(4 * (1 + 2 * files.length)));
  const jobs: ReadJob[] = controls.map((control) => ({ files: [], options, control }));
  const cursors = files.map(({ file, map }, i) => {
    const w = i % workers;
    const channel = new MessageChannel();
    const slot = jobs[w].files.length;
    jobs[w].files.push({ file, map, port: channel.port2, slot });
    return new ThreadedHopCursor(channel.port1, new Int32Array(controls[w]), slot, warn);
  });
  const started = jobs.map((job) => {
    const worker = new Worker(new URL('./read-worker.js', import.meta.url), { workerData: job, transferList: job.files.map((f) => f.port) });
    worker.unref();
    return worker;
  });
  return {
    cursors,
    stop: () => {
      for (const cursor of cursors) cursor.close();
      for (const worker of started) void worker.terminate();
    },
  };
}
