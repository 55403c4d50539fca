import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Frame } from '../../model.js';
import { argvIn, runIn, type Netns } from '../../discover/netns.js';
import type { CaptureSpec } from './helper.js';
import { WireReader, type WireRecord } from './wire.js';

export const HELPER_PATH = fileURLToPath(new URL('./helper.js', import.meta.url));

export interface HopCaptureOptions {
  hop: number;
  netns: Netns;
  iface: string;
  filter: string;
  bufferBytes: number;
  anchorNs: bigint;
}

/** What a running hop capture reports back; frames arrive in this hop's time order. */
export interface HopCaptureSink {
  frame(frame: Frame): void;
  /** The capture ended without being asked to (interface vanished, helper died). */
  problem(hop: number, message: string): void;
}

/** One hop's capture helper, as the parent sees it. */
export interface HopCapture {
  readonly hop: number;
  readonly pid: number | undefined;
  /** Resolves with the link type once libpcap is open; rejects with the reason it could not be. */
  readonly ready: Promise<number>;
  /** Resolves when the helper has exited and all its frames were delivered. */
  readonly ended: Promise<void>;
  stop(): void;
}

export function startHopCapture(options: HopCaptureOptions, sink: HopCaptureSink): HopCapture {
  const spec: CaptureSpec = {
    mode: 'capture',
    hop: options.hop,
    iface: options.iface,
    filter: options.filter,
    bufferBytes: options.bufferBytes,
    anchorNs: options.anchorNs.toString(),
  };
  const [file, args] = argvIn(options.netns, process.execPath, [HELPER_PATH, JSON.stringify(spec)]);
  // Its own process group: a terminal's Ctrl-C reaches only us, and we stop helpers in order.
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  return watchHelper(child, options, sink);
}

function watchHelper(child: ChildProcess, options: HopCaptureOptions, sink: HopCaptureSink): HopCapture {
  const state = { stopping: false, linkType: -1, stderr: '' };
  const reader = new WireReader();
  let settleReady: { resolve: (linkType: number) => void; reject: (error: Error) => void };
  const ready = new Promise<number>((resolve, reject) => (settleReady = { resolve, reject }));
  ready.catch(() => undefined);
  const onRecord = (record: WireRecord): void => {
    if (record.type === 'packet') {
      sink.frame({ hop: options.hop, linkType: state.linkType, tsSec: record.tsSec, tsNsec: record.tsNsec, data: record.data, origLen: record.origLen });
    } else if (record.type === 'ready') {
      state.linkType = record.linkType;
      settleReady.resolve(record.linkType);
    } else {
      settleReady.reject(new Error(record.message));
      if (state.linkType >= 0) sink.problem(options.hop, record.message);
    }
  };
  child.stdout!.on('data', (chunk: Buffer) => reader.push(chunk).forEach(onRecord));
  child.stderr!.on('data', (chunk: Buffer) => (state.stderr = (state.stderr + chunk.toString()).slice(-2000)));
  child.stdin!.on('error', () => undefined);
  const ended = new Promise<void>((resolve) => {
    child.on('error', (error) => settleReady.reject(error));
    child.on('close', (code, signal) => {
      void explainExit(options, state, code, signal).then((why) => {
        settleReady.reject(new Error(why ?? `capture helper for ${options.iface} exited before it was ready`));
        if (why && state.linkType >= 0 && !state.stopping) sink.problem(options.hop, why);
        resolve();
      });
    });
  });
  return {
    hop: options.hop,
    pid: child.pid,
    ready,
    ended,
    stop: () => stopHelper(child, state),
  };
}

function stopHelper(child: ChildProcess, state: { stopping: boolean }): void {
  if (state.stopping) return;
  state.stopping = true;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  child.stdin!.end();
  const force = setTimeout(() => child.kill('SIGKILL'), 2000);
  force.unref();
  child.once('exit', () => clearTimeout(force));
}

/** Why a helper ended on its own: most often its interface (or whole namespace) went away. */
async function explainExit(
  options: HopCaptureOptions,
  state: { stopping: boolean; stderr: string },
  code: number | null,
  signal: NodeJS.Signals | null,
): Promise<string | undefined> {
  if (state.stopping && (code === 0 || signal === 'SIGTERM' || signal === 'SIGKILL')) return undefined;
  const gone = await interfaceGone(options);
  if (gone) return gone;
  const last = state.stderr.trim().split('\n').pop();
  return `capture on ${options.iface} ended (${signal ?? `exit ${code}`})${last ? `: ${last}` : ''}`;
}

async function interfaceGone(options: HopCaptureOptions): Promise<string | undefined> {
  const where = options.netns.label;
  try {
    const result = await runIn(options.netns, 'ip', ['-j', 'link', 'show', 'dev', options.iface]);
    if (result.code === 0) return undefined;
    return `interface ${options.iface} vanished from netns ${where}`;
  } catch {
    return `interface ${options.iface} vanished: netns ${where} is gone`;
  }
}
