import type { ChildProcess } from 'node:child_process';
import type { Frame } from '../../model.js';
import { runIn, type Netns } from '../../discover/netns.js';
import { PAYLOAD_HASH_BYTES } from '../../decode/bytes.js';
import type { CaptureSpec, CaptureTap } from './helper.js';
import { HELPER_PATH, startHelperProcess, type HelperProcess } from './helper-process.js';
import { WireReader, type KernelCounters, type TimestampPrecision, type WireRecord } from './wire.js';

export type { KernelCounters, TimestampPrecision };
export { HELPER_PATH };

/**
 * Bytes kept of each packet: the headers of every layer the decoder reads, one VXLAN tunnel
 * included, then the payload prefix the fingerprint hashes. A second tunnel level or longer
 * IPv6 extension chains still decode as far as the bytes go; only their fingerprint covers
 * fewer payload bytes. Not 64 KiB: a GSO packet on a veth or bridge is up to 64 KiB, and
 * copying those through the ring and the pipe is what made hops lose a bulk flow (issue 14).
 */
export const CAPTURE_SNAPLEN =
  (14 + 2 * 4) + // Ethernet with two VLAN tags
  60 + // IPv4 with the longest options (IPv6: 40 and 20 bytes of extension headers)
  (8 + 8) + // UDP and VXLAN
  14 + 60 + // the tunnelled Ethernet frame and its IP header
  60 + // TCP with the longest options (an ICMP error and the header it quotes is shorter)
  PAYLOAD_HASH_BYTES;

/** Slots in each hop's ring: a 200 MB download on one host is ~6,000 GSO packets per hop. */
export const RING_PACKETS = 32_768;

/**
 * Bytes of a ring of `packets` slots. libpcap (1.10, create_ring) uses TPACKET_V2 in
 * immediate mode, with fixed slots of TPACKET_ALIGN(64 + snaplen + a VLAN tag): header,
 * sockaddr_ll, then the packet; pcap_set_buffer_size(bytes) gives bytes / slot slots.
 */
export function ringBytes(packets: number, snaplen = CAPTURE_SNAPLEN): number {
  const slot = Math.ceil((64 + snaplen + 4) / 16) * 16;
  return packets * slot;
}

export interface NetnsCaptureOptions {
  netns: Netns;
  /** The hops whose interfaces live in this namespace. */
  taps: CaptureTap[];
  /** Slots of libpcap's ring per hop (default RING_PACKETS; --ring-packets). */
  ringPackets?: number;
  /** How often the helper sends each hop's kernel counters (default 1000 ms). */
  statsEveryMs?: number;
}

/** What one hop's capture knows about itself: the kernel's counters and its clock's precision. */
export interface HopCaptureStats extends KernelCounters {
  precision: TimestampPrecision;
}

/** What a running capture reports back; each hop's frames arrive in that hop's time order. */
export interface CaptureSink {
  /** A hop's interface is open: its frames follow, stamped by the kernel with this precision. */
  opened(hop: number, linkType: number, precision: TimestampPrecision): void;
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
  /** Each open hop's latest kernel counters (final once `ended` resolved after a stop). */
  stats(): Map<number, HopCaptureStats>;
  stop(): void;
}

/**
 * Captures on the taps of one namespace, with `helper` if one was started there early (see
 * helper-process.ts), else with a helper started now; either way it is told its taps on stdin.
 */
export function startNetnsCapture(options: NetnsCaptureOptions, sink: CaptureSink, helper = startHelperProcess(options.netns)): NetnsCapture {
  const spec: CaptureSpec = {
    mode: 'capture',
    taps: options.taps,
    snaplen: CAPTURE_SNAPLEN,
    ringBytes: ringBytes(options.ringPackets ?? RING_PACKETS),
    statsEveryMs: options.statsEveryMs ?? 1000,
  };
  helper.child.stdin!.write(`${JSON.stringify(spec)}\n`);
  return watchHelper(helper, options, sink);
}

interface HelperState {
  stopping: boolean;
  linkTypes: Map<number, number>;
  stats: Map<number, HopCaptureStats>;
}

function watchHelper(helper: HelperProcess, options: NetnsCaptureOptions, sink: CaptureSink): NetnsCapture {
  const { child } = helper;
  const state: HelperState = { stopping: false, linkTypes: new Map(), stats: new Map() };
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
    } else if (record.type === 'stats') {
      const precision = state.stats.get(record.hop)?.precision;
      if (precision) state.stats.set(record.hop, { ...record.counters, precision });
    } else if (record.type === 'ready') {
      state.linkTypes.set(record.hop, record.linkType);
      state.stats.set(record.hop, { received: 0, dropped: 0, ifDropped: 0, captured: 0, final: false, precision: record.precision });
      sink.opened(record.hop, record.linkType, record.precision);
      helper.log(`capturing on ${options.taps.find((t) => t.hop === record.hop)?.iface ?? `hop ${record.hop}`}`);
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
  void helper.failed.then((error) => settleReady.reject(new CaptureOpenError(firstHop, error.message)));
  const ended = helper.closed.then(async ({ code, signal }) => {
    const problems = await explainExit(options, state, helper.stderr(), code, signal);
    settleReady.reject(new CaptureOpenError(firstHop, problems[0]?.message ?? `capture helper in netns ${options.netns.label} exited before it was ready`));
    if (isReady() && !state.stopping) for (const p of problems) sink.problem(p.hop, p.message);
  });
  const stats = (): Map<number, HopCaptureStats> => new Map([...state.stats].map(([hop, s]) => [hop, { ...s }]));
  return { pid: child.pid, ready, ended, stats, stop: () => stopHelper(child, state) };
}

/** A stopping helper that sends nothing for this long is stuck: killed. */
const STOP_SILENCE_MS = 2000;

/**
 * Asks the helper to stop, and kills it only once it has gone silent: a helper still
 * delivering the backlog a slow parent left it (up to 128 MiB) is finishing, not stuck, and
 * killing it would lose those packets and its final counts.
 */
function stopHelper(child: ChildProcess, state: HelperState): void {
  if (state.stopping) return;
  state.stopping = true;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  child.stdin!.end();
  let lastData = Date.now();
  const onData = (): void => {
    lastData = Date.now();
  };
  child.stdout!.on('data', onData);
  const watchdog = setInterval(() => {
    if (Date.now() - lastData >= STOP_SILENCE_MS) child.kill('SIGKILL');
  }, STOP_SILENCE_MS / 4);
  watchdog.unref();
  child.once('exit', () => {
    clearInterval(watchdog);
    child.stdout!.off('data', onData);
  });
}

/**
 * Why a helper ended on its own: most often one of its interfaces (or the whole namespace)
 * went away, which ends every capture of the process; each hop is told what happened to it.
 */
async function explainExit(
  options: NetnsCaptureOptions,
  state: HelperState,
  stderr: string,
  code: number | null,
  signal: NodeJS.Signals | null,
): Promise<{ hop: number; message: string }[]> {
  if (state.stopping && (code === 0 || signal === 'SIGTERM' || signal === 'SIGKILL')) return [];
  const gone = await Promise.all(options.taps.map((tap) => interfaceGone(options.netns, tap.iface)));
  const vanished = options.taps.flatMap((tap, i) => (gone[i] ? [`${tap.iface}`] : []));
  const last = stderr.trim().split('\n').pop();
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
