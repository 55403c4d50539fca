/**
 * The worker thread of a big replay (replay-worker.ts): the same replay as on the main thread,
 * with the terminal facts of the main thread, its stdout written by the replay's own blocking
 * writer to fd 1 and its stderr written straight to fd 2. (A worker's process.stderr is passed
 * through the main thread's event loop, later than lines the main thread writes itself.)
 */
import { parentPort, workerData } from 'node:worker_threads';
import { blockingWriter } from '../render/stdout.js';
import { replayHere, type ReplayOptions } from '../commands/replay.js';
import type { PipeRequest } from '../capture/files/frame-pipe.js';
import { errorValue } from '../errors.js';
import type { ReplayWorkerData, ReplayWorkerRequest, ReplayWorkerResult } from './replay-worker.js';

const stderr = blockingWriter(2);
process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
  stderr.write(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
  const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
  done?.();
  return true;
}) as typeof process.stderr.write;

const { inputs, options, terminal, readOnMain } = workerData as ReplayWorkerData<ReplayOptions>;
const post = (message: ReplayWorkerResult | ReplayWorkerRequest): void => parentPort?.postMessage(message);
const readElsewhere = readOnMain ? (read: PipeRequest) => post({ read }) : undefined;
replayHere(inputs, options, terminal, readElsewhere).then(
  (code) => post({ code }),
  (error: unknown) => post({ error: errorValue(error) }),
);
