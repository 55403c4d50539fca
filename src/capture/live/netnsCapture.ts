import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Frame } from '../../model.js';
import { argvIn, runIn, type Netns } from '../../discover/netns.js';
import type { CaptureSpec, CaptureTap } from './helper.js';
import { WireReader, type WireRecord } from './wire.js';

export const HELPER_PATH = fileURLToPath(new URL('./helper.js', import.meta.url));

export interface NetnsCaptureOptions {
  netns: Netns;
  /** The hops whose interfaces live in this namespace. */
  taps: CaptureTap[];
  bufferBytes: number;
  anchorNs: bigint;
}

/** What a running capture reports back; each hop's frames arrive in that hop's time order. */
export interface CaptureSink {
  /** A hop's interface is open: its frames follow. */
  opened(hop: number, linkType: number): void;
  frame(frame: Frame): void;
  /** A hop's capture ended without being asked to (interface vanished, helper died). */
  problem(hop: number, message: string): void;
}

/** Why a capture could not start: the hop it failed at and libpcap's words. */
export class CaptureOpenError extends Error {
  constructor(
    readonly hop: number,
    message: string,
  ) {
    super(message);
  }
}

/** The capture helper of one namespace, as the parent sees it. */
export interface NetnsCapture {
  readonly pid: number | undefined;
  /** Resolves with each hop's link type once libpcap is open on all of them; rejects with CaptureOpenError. */
  readonly ready: Promise<Map<number, number>>;
  /** Resolves when the helper has exited and all its frames were delivered. */
  readonly ended: Promise<void>;
  stop(): void;
}

export function startNetnsCapture(options: NetnsCaptureOptions, sink: CaptureSink): NetnsCapture {
  const spec: CaptureSpec = { mode: 'capture', taps: options.taps, bufferBytes: options.bufferBytes, anchorNs: options.anchorNs.toString() };
  const [file, args] = argvIn(options.netns, process.execPath, [HELPER_PATH, JSON.stringify(spec)]);
  // Its own process group: a terminal's Ctrl-C reaches only us, and we stop helpers in order.
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  return watchHelper(child, options, sink);
}

interface HelperState {
  stopping: boolean;
  linkTypes: Map<number, number>;
  stderr: string;
}

function watchHelper(child: ChildProcess, options: NetnsCaptureOptions, sink: CaptureSink): NetnsCapture {
  const state: HelperState = { stopping: false, linkTypes: new Map(), stderr: '' };
  const reader = new WireReader();
  const firstHop = options.taps[0]!.hop;
  let settleReady!: { resolve: (types: Map<number, number>) => void; reject: (error: Error) => void };
  const ready = new Promise<Map<number, number>>((resolve, reject) => (settleReady = { resolve, reject }));
  ready.catch(() => undefined);
  const isReady = (): boolean => state.linkTypes.size === options.taps.length;
  const onRecord = (record: WireRecord): void => {
    if (record.type === 'packet') {
      const linkType = state.linkTypes.get(record.hop) ?? -1;
      sink.frame({ hop: record.hop, linkType, tsSec: record.tsSec, tsNsec: record.tsNsec, data: record.data, origLen: record.origLen });
    } else if (record.type === 'ready') {
      state.linkTypes.set(record.hop, record.linkType);
      sink.opened(record.hop, record.linkType);
      if (isReady()) settleReady.resolve(state.linkTypes);
    } else if (record.type === 'problem') {
      settleReady.reject(new CaptureOpenError(record.hop, record.message));
      if (isReady()) sink.problem(record.hop, record.message);
    } else {
      settleReady.reject(new CaptureOpenError(firstHop, record.message));
      if (isReady()) sink.problem(firstHop, record.message);
    }
  };
  child.stdout!.on('data', (chunk: Buffer) => reader.push(chunk).forEach(onRecord));
  child.stderr!.on('data', (chunk: Buffer) => (state.stderr = (state.stderr + chunk.toString()).slice(-2000)));
  child.stdin!.on('error', () => undefined);
  const ended = new Promise<void>((resolve) => {
    child.on('error', (error) => settleReady.reject(new CaptureOpenError(firstHop, error.message)));
    child.on('close', (code, signal) => {
      void explainExit(options, state, code, signal).then((problems) => {
        settleReady.reject(new CaptureOpenError(firstHop, problems[0]?.message ?? `capture helper in netns ${options.netns.label} exited before it was ready`));
        if (isReady() && !state.stopping) for (const p of problems) sink.problem(p.hop, p.message);
        resolve();
      });
    });
  });
  return { pid: child.pid, ready, ended, stop: () => stopHelper(child, state) };
}

function stopHelper(child: ChildProcess, state: HelperState): void {
  if (state.stopping) return;
  state.stopping = true;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  child.stdin!.end();
  const force = setTimeout(() => child.kill('SIGKILL'), 2000);
  force.unref();
  child.once('exit', () => clearTimeout(force));
}

/**
 * Why a helper ended on its own: most often one of its interfaces (or the whole namespace)
 * went away, which ends every capture of the process; each hop is told what happened to it.
 */
async function explainExit(
  options: NetnsCaptureOptions,
  state: HelperState,
  code: number | null,
  signal: NodeJS.Signals | null,
): Promise<{ hop: number; message: string }[]> {
  if (state.stopping && (code === 0 || signal === 'SIGTERM' || signal === 'SIGKILL')) return [];
  const gone = await Promise.all(options.taps.map((tap) => interfaceGone(options.netns, tap.iface)));
  const vanished = options.taps.flatMap((tap, i) => (gone[i] ? [`${tap.iface}`] : []));
  const last = state.stderr.trim().split('\n').pop();
  const how = `${signal ?? `exit ${code}`}${last ? `: ${last}` : ''}`;
  return options.taps.map((tap, i) => ({
    hop: tap.hop,
    message: gone[i] ?? (vanished.length > 0 ? `capture ended: ${vanished.join(', ')} vanished from the same namespace` : `capture on ${tap.iface} ended (${how})`),
  }));
}

async function interfaceGone(netns: Netns, iface: string): Promise<string | undefined> {
  try {
    const result = await runIn(netns, 'ip', ['-j', 'link', 'show', 'dev', iface]);
    if (result.code === 0) return undefined;
    return `interface ${iface} vanished from netns ${netns.label}`;
  } catch {
    return `interface ${iface} vanished: netns ${netns.label} is gone`;
  }
}
