// The worker side of read-thread.ts: reads its hop files through HopSource cursors and sends
// each file's frames in batches, never more than BATCHES_AHEAD ahead of the main thread.
import { workerData } from 'node:worker_threads';
import { errorValue } from '../../errors.js';
import type { SourceWarning } from '../../model.js';
import { HopSource } from './hop-source.js';
import { BATCH_BYTES, BATCHES_AHEAD, type Batch, consumedIndex, META_FIELDS, type ReadJob, sentIndex } from './read-thread.js';

interface FileState {
  source: HopSource;
  job: ReadJob['files'][number];
  /** Warnings met since the last frame was packed. */
  pending: SourceWarning[];
  /** A frame the source stepped onto that did not fit the last batch. */
  carried: boolean;
  done: boolean;
}

const job = workerData as ReadJob;
const control = new Int32Array(job.control);
const states: FileState[] = job.files.map((f) => {
  const pending: SourceWarning[] = [];
  const source = new HopSource(f.file, f.map, job.options, (w) => pending.push(w));
  return { source, job: f, pending, carried: false, done: false };
});

for (const state of states) {
  try {
    state.source.open(true);
  } catch (error) {
    finishWithError(state, error);
  }
}
while (states.some((s) => !s.done)) {
  const wake = Atomics.load(control, 0);
  let sent = false;
  for (const state of states) {
    if (state.done) continue;
    const ahead = Atomics.load(control, sentIndex(state.job.slot)) - Atomics.load(control, consumedIndex(state.job.slot));
    if (ahead >= BATCHES_AHEAD) continue;
    sendBatch(state);
    sent = true;
  }
  if (!sent) Atomics.wait(control, 0, wake, 1000);
}

/** Packs frames until the batch is full or the file ends, and sends it. */
function sendBatch(state: FileState): void {
  const source = state.source;
  let meta = new Float64Array(4096 * META_FIELDS);
  let bytes = new Uint8Array(BATCH_BYTES);
  const batch: Batch = { count: 0, meta, bytes, warnings: [] };
  let used = 0;
  try {
    for (;;) {
      if (!state.carried) {
        const more = source.advance();
        for (const warning of state.pending.splice(0)) batch.warnings.push({ before: batch.count, warning });
        if (!more) {
          batch.end = {};
          break;
        }
      }
      state.carried = false;
      const length = source.end - source.start;
      if (batch.count > 0 && (used + length > bytes.length || (batch.count + 1) * META_FIELDS > meta.length)) {
        state.carried = true;
        break;
      }
      if (length > bytes.length) bytes = batch.bytes = new Uint8Array(length);
      bytes.set(source.buf.subarray(source.start, source.end), used);
      const at = batch.count++ * META_FIELDS;
      meta[at] = source.hop;
      meta[at + 1] = source.linkType;
      meta[at + 2] = source.tsSec;
      meta[at + 3] = source.tsNsec;
      meta[at + 4] = used;
      meta[at + 5] = used + length;
      meta[at + 6] = source.origLen;
      used += length;
    }
  } catch (error) {
    batch.end = { error: errorValue(error) };
  }
  if (batch.end) {
    state.done = true;
    source.close();
  }
  post(state, batch);
}

function finishWithError(state: FileState, error: unknown): void {
  const end = { error: errorValue(error) };
  state.done = true;
  post(state, { count: 0, meta: new Float64Array(0), bytes: new Uint8Array(0), warnings: [], end });
}

function post(state: FileState, batch: Batch): void {
  state.job.port.postMessage(batch, [batch.meta.buffer as ArrayBuffer, batch.bytes.buffer as ArrayBuffer]);
  Atomics.add(control, sentIndex(state.job.slot), 1);
  Atomics.notify(control, sentIndex(state.job.slot));
}
