import { existsSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { errorFromValue, type ErrorValue } from '../errors.js';
import { type PipeRequest, produceFrames } from '../capture/files/frame-pipe.js';

/** What the replay needs to know of the terminal: a worker thread's stdout and stderr are not the process's. */
export interface ReplayTerminal {
  stdoutTty: boolean;
  stderrTty: boolean;
  color: boolean;
}

/** What the replay worker is started with (structured-cloned). */
export interface ReplayWorkerData<O> {
  inputs: string[];
  options: O;
  terminal: ReplayTerminal;
  /** The main thread reads and merges the hop files for the worker (capture/files/frame-pipe.ts). */
  readOnMain: boolean;
}

/** How the worker ends: the exit code, or its error as a value (errorValue in errors.ts). */
export type ReplayWorkerResult = { code: number } | { error: ErrorValue };

/** What the worker asks of the main thread before it ends: to read the hop files into a pipe. */
export type ReplayWorkerRequest = { read: PipeRequest };

/**
 * A big replay runs in a worker thread with a larger young generation: most of what a replay
 * allocates dies young, and V8's default semi-space (16 MB) makes it scavenge often enough to
 * be 10-15% of the CPU on the benchmark trace. The worker costs about 100 ms to start (it loads
 * the unbundled modules): at 36 and 72 MB of input the worker was ~90 ms slower, at 456 MB
 * ~220 ms faster (speed2 report), so it is used only from REPLAY_WORKER.minBytes of input on.
 */
export const REPLAY_WORKER = {
  minBytes: 256 * 1024 * 1024,
  /** V8 gives a third of this to each of the two semi-spaces and the new large-object space. */
  youngGenerationMb: 192,
  /** HOPTRACE_REPLAY_WORKER=1 always, =0 never (tests and benchmarks); unset: by input size. */
  env: 'HOPTRACE_REPLAY_WORKER',
  /** HOPTRACE_REPLAY_PIPE=1 always, =0 never: see wantsReadPipe. */
  pipeEnv: 'HOPTRACE_REPLAY_PIPE',
} as const;

/** Whether this replay's input is big enough for the worker (or the environment says so). */
export function wantsReplayWorker(inputs: string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const forced = env[REPLAY_WORKER.env];
  if (forced === '1') return true;
  if (forced === '0') return false;
  return inputBytes(inputs) >= REPLAY_WORKER.minBytes;
}

/**
 * The size of the inputs without opening any (a FIFO must not block here): a file's size, or
 * the sizes of a directory's files. Anything that cannot be read counts 0; the replay says why.
 */
export function inputBytes(inputs: string[]): number {
  let total = 0;
  for (const input of inputs) {
    try {
      const stat = statSync(input);
      if (stat.isFile()) total += stat.size;
      else if (stat.isDirectory()) total += directoryBytes(input);
    } catch {
      // not there or not readable: the replay itself reports it
    }
  }
  return total;
}

function directoryBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    try {
      const stat = statSync(path.join(dir, name));
      if (stat.isFile()) total += stat.size;
    } catch {
      // a dangling link: the replay says so if the trace names it
    }
  }
  return total;
}

/**
 * Whether the main thread, idle while the worker replays, should read the hop files for it:
 * where there is a second core to do it on. HOPTRACE_REPLAY_PIPE=1 always, =0 never.
 */
export function wantsReadPipe(env: NodeJS.ProcessEnv = process.env, cores = os.availableParallelism()): boolean {
  const forced = env[REPLAY_WORKER.pipeEnv];
  if (forced === '1') return true;
  if (forced === '0') return false;
  return cores >= 2;
}

/** Runs the replay in the worker (replay-thread.ts); its errors come back as the same one line and exit code. */
export function replayInWorker<O>(data: Omit<ReplayWorkerData<O>, 'readOnMain'>): Promise<number> {
  return new Promise((resolve, reject) => {
    const workerData: ReplayWorkerData<O> = { ...data, readOnMain: wantsReadPipe() };
    const worker = new Worker(threadEntry(), {
      workerData,
      resourceLimits: { maxYoungGenerationSizeMb: REPLAY_WORKER.youngGenerationMb },
    });
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      fn();
      void worker.terminate();
    };
    worker.on('message', (message: ReplayWorkerResult | ReplayWorkerRequest) => {
      if ('read' in message) {
        // It tells the worker of any fault through the pipe itself; only a pipe it cannot use
        // (a bug) rejects, and then the worker says the reading side went silent.
        produceFrames(message.read, () => settled).catch(() => undefined);
        return;
      }
      settle(() => ('code' in message ? resolve(message.code) : reject(errorFromValue(message.error))));
    });
    worker.on('error', (error) => settle(() => reject(error)));
    worker.on('exit', (code) => settle(() => reject(new Error(`the replay worker ended with code ${code} before its report`))));
  });
}

/**
 * The worker's entry: the bundle's (scripts/bundle.mjs) where the build made one, which starts
 * about 50 ms sooner than tsc's module and the sixty it imports; tsc's module otherwise.
 */
export function threadEntry(): URL {
  const bundled = new URL('../bundle/replay-thread.js', import.meta.url);
  return existsSync(bundled) ? bundled : new URL('./replay-thread.js', import.meta.url);
}

