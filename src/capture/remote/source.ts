// Capture on several hosts as one frame source: a helper per node (transport.ts), each
// node's timestamps moved onto our clock by its measured offset, frames merged in time order
// and handed to the pipeline. A node whose stream ends early ends its own hops only.
import type { Frame, Hop } from '../../model.js';
import { EnvironmentError } from '../../errors.js';
import type { FrameSink, FrameSource, HopStatus } from '../../source.js';
import { recording, type TraceRecorder } from '../live/recorder.js';
import { wallClockNs } from './clock.js';
import type { CaptureNode, ClockOffset, RemoteHelper, RemoteTap } from './transport.js';
import { takeHeldFrames } from '../held-frames.js';
import { TunnelGate } from './tunnel-gate.js';
import { DROP_NOTE, kernelLossWarning } from '../live/live-session.js';
import type { KernelCounters, TimestampPrecision } from '../live/wire.js';

export interface NodeCapture {
  node: CaptureNode;
  /** The node's taps; `hop` indexes the whole path. */
  taps: RemoteTap[];
  clock: ClockOffset;
}

export interface RemoteSourceOptions {
  hops: Hop[];
  nodes: NodeCapture[];
  ringPackets?: number;
  description: string;
  recordDir?: string;
  notes: string[];
  /** Facts the report must state next to its verdicts (an encrypted overlay's blind tunnel): they go out with the warnings. */
  caveats?: string[];
  /** Told of a node whose capture ended on its own (connection lost, helper died). */
  onProblem: (line: string) => void;
  /** Overlay uplinks (hop indexes): their frames pass only when an inner hop saw the conversation (tunnel-gate.ts). */
  gatedUplinks?: number[];
  /** How long frames are held to be sorted across nodes (clocks and links differ). */
  holdMs?: number;
  /** How long a node may take from start to every tap capturing. */
  readyMs?: number;
}

const UNITS: Record<TimestampPrecision, string> = { nano: 'nanoseconds', micro: 'microseconds' };

/**
 * Where remote timestamps come from: the kernel of each host, in the precision each hop's
 * capture was opened with (no unit is claimed while a hop is not open), then moved by that
 * host's one measured offset, so hops of one host keep the kernel's precision between them.
 */
export function remoteTimestampNote(hops: Hop[], precision: (TimestampPrecision | undefined)[]): string {
  const units = new Set(hops.map((_, i) => precision[i]));
  let header = "libpcap's packet header";
  if (units.size === 1 && !units.has(undefined)) header += `, in ${UNITS[precision[0]!]}`;
  else if (!units.has(undefined)) header += `, in ${hops.map((hop, i) => `${UNITS[precision[i]!]} at ${hop.name}`).join(', ')}`;
  return `taken by the kernel as each hop's capture saw the packet (${header}), on each host's own real-time clock, then moved onto hoptrace's clock by that host's offset measured at the start: between hops of one host as precise as the kernel's, across hosts only to the clocks' agreement (see the hosts line)`;
}

export function remoteSource(options: RemoteSourceOptions): FrameSource {
  const { hops, recorder } = recording(options.hops, options.recordDir, options.description);
  return new RemoteSource(hops, options, recorder);
}

/**
 * A lost host's frames of about the last second may never have been sent: still in its capture
 * ring or its helper's buffer when the helper was killed or cut off (its counts come every
 * second). Its hops are told ended that much before it was last heard from.
 */
const UNSENT_MARGIN_NS = 1_000_000_000n;

class RemoteSource implements FrameSource {
  readonly notes: string[];
  readonly ended: Promise<void>;
  private readonly status: HopStatus[];
  private readonly precision: (TimestampPrecision | undefined)[] = [];
  /** Each hop's last kernel counts as its node sent them. */
  private readonly kernel = new Map<number, KernelCounters>();
  /** Every helper has ended: only final kernel counts are still the truth. */
  private halted = false;
  private readonly problems: string[] = [];
  private helpers: { capture: NodeCapture; helper: RemoteHelper }[] = [];
  private pending: Frame[] = [];
  private pushed = false;
  private readonly linkTypes = new Map<number, number>();
  /** When each node was last heard from (any record, on our clock): its captures ran at least until then. */
  private readonly heard = new Map<NodeCapture, bigint>();
  private readonly gate: TunnelGate;
  private timer?: NodeJS.Timeout;
  private stopping?: Promise<void>;
  private resolveDone!: () => void;
  private sink: FrameSink = { push: () => undefined, tick: () => undefined };

  constructor(
    readonly hops: Hop[],
    private readonly options: RemoteSourceOptions,
    private readonly recorder?: TraceRecorder,
  ) {
    this.notes = [`timestamps: ${this.timestamps}`, DROP_NOTE, ...options.notes];
    this.status = hops.map(() => ({ packets: 0 }));
    this.gate = new TunnelGate(new Set(options.gatedUplinks ?? []));
    this.ended = new Promise((resolve) => (this.resolveDone = resolve));
  }

  async start(into: FrameSink): Promise<void> {
    this.sink = into;
    try {
      // The first node to fail ends the start: the others are not waited for.
      await Promise.all(this.options.nodes.map((capture) => this.startNode(capture)));
    } catch (failure) {
      await this.halt();
      this.recorder?.discard();
      const error = failure as Error;
      throw error instanceof EnvironmentError ? error : new EnvironmentError(error.message);
    }
    this.timer = setInterval(() => this.release(false), 100);
  }

  private async startNode(capture: NodeCapture): Promise<void> {
    const { node, taps } = capture;
    const helper = await node.startHelper({ taps, ringPackets: this.options.ringPackets });
    // Another node failed while this one was starting: this helper must not outlive the trace.
    if (this.stopping) {
      await helper.stop();
      throw new EnvironmentError(`host ${node.name}: start abandoned`);
    }
    this.helpers.push({ capture, helper });
    const offset = capture.clock.offsetNs;
    let ready = 0;
    let allReady!: () => void;
    const readyAll = new Promise<void>((resolve) => (allReady = resolve));
    helper.onRecord((record) => {
      this.heard.set(capture, wallClockNs());
      if (record.type === 'ready') {
        this.linkTypes.set(record.hop, record.linkType);
        this.precision[record.hop] = record.precision;
        this.notes[0] = `timestamps: ${this.timestamps}`;
        this.recorder?.open(record.hop, record.linkType);
        if (++ready === taps.length) allReady();
      } else if (record.type === 'packet') {
        this.arrive(onOurClock(record, this.linkTypes.get(record.hop) ?? -1, offset));
      } else if (record.type === 'problem') {
        this.hopProblem(record.hop, record.message);
      } else if (record.type === 'stats') {
        if (this.status[record.hop]) this.kernel.set(record.hop, record.counters);
      } else {
        this.nodeProblem(capture, `stream corrupt: ${record.message}`);
      }
    });
    void helper.ended.then((end) => {
      if (!this.stopping) this.nodeProblem(capture, end.problem ?? 'its capture helper ended');
    });
    const limit = this.options.readyMs ?? 20_000;
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), limit).unref());
    const outcome = await Promise.race([readyAll, helper.ended, timeout]);
    if (outcome === 'timeout') throw new EnvironmentError(`host ${node.name}: the capture helper did not start capturing within ${limit / 1000} s`);
    if (outcome !== undefined) throw new EnvironmentError(`host ${node.name}: the capture helper ended before capturing: ${outcome.problem ?? `exit ${outcome.exitCode}`}`);
  }

  stop(): void {
    void this.halt().then(() => this.resolveDone());
  }

  get timestamps(): string {
    return remoteTimestampNote(this.hops, this.precision);
  }

  warnings(): string[] {
    const lost = this.hops.map((hop, i) => {
      const k = this.kernel.get(i);
      return k && kernelLossWarning(hop, k, k.final || !this.halted);
    });
    return [...(this.options.caveats ?? []), ...this.problems, ...lost.filter((w): w is string => w !== undefined)];
  }

  /** Each hop's kernel counts: as they stand while capturing; once ended, only final ones (a lost host sent none). */
  hopStatus(): HopStatus[] {
    return this.status.map((s, hop) => {
      const k = this.kernel.get(hop);
      return k && (k.final || !this.halted) ? { ...s, kernel: { received: k.received, dropped: k.dropped, ifDropped: k.ifDropped } } : { ...s };
    });
  }

  private arrive(frame: Frame): void {
    if (!this.status[frame.hop]) return;
    this.gate.learn(frame);
    this.pending.push(frame);
  }

  /** A frame leaves the hold: counted, recorded and traced only if the gate keeps it (so a replay sees what the trace saw). */
  private hand(frame: Frame): void {
    if (!this.gate.pass(frame)) return;
    this.status[frame.hop]!.packets++;
    this.recorder?.write(frame);
    this.sink.push(frame);
  }

  private hopProblem(hop: number, message: string): void {
    const status = this.status[hop];
    if (!status || status.problem) return;
    status.problem = message;
    this.say(`${this.hops[hop]!.name}: ${message}`);
  }

  /** One node is gone: its hops end where they are, the other hosts' hops go on. */
  private nodeProblem(capture: NodeCapture, message: string): void {
    const hops = capture.taps.map((t) => t.hop).filter((hop) => !this.status[hop]?.problem);
    if (hops.length === 0) return;
    for (const hop of hops) this.status[hop]!.problem = `host ${capture.node.name}: ${message}`;
    this.say(`host ${capture.node.name}: ${message}; its hops (${hops.map((h) => this.hops[h]!.name).join(', ')}) end here, the other hosts' go on; a packet that could reach those hops in their last second heard from or later is counted as not captured there, not as vanished`);
    // Its captures are known to have run, and handed over what they saw, until a second before it was last heard from.
    const end = (this.heard.get(capture) ?? wallClockNs()) - UNSENT_MARGIN_NS;
    for (const hop of hops) this.sink.hopEnded?.(hop, Number(end / 1_000_000_000n), Number(end % 1_000_000_000n));
    if (this.status.every((s) => s.problem)) this.stop();
  }

  private say(line: string): void {
    this.problems.push(line);
    this.options.onProblem(line);
  }

  /** Every frame older than the hold time (or all of them), in time order, then the clock moves on. */
  private release(all: boolean): void {
    const cut = wallClockNs() - BigInt((this.options.holdMs ?? 400) * 1_000_000);
    const cutSec = Number(cut / 1_000_000_000n);
    const cutNsec = Number(cut % 1_000_000_000n);
    const released = takeHeldFrames(this.pending, all ? undefined : { sec: cutSec, nsec: cutNsec });
    for (const frame of released) this.hand(frame);
    // The trace's clock starts at its first frame, as in replay: no tick before one was pushed.
    this.pushed ||= released.length > 0;
    if (!all && this.pushed) this.sink.tick(cutSec, cutNsec);
    this.recorder?.flush();
  }

  private halt(): Promise<void> {
    this.stopping ??= (async () => {
      const stoppedUs = wallClockNs() / 1000n;
      if (this.timer) clearInterval(this.timer);
      await Promise.all(this.helpers.map(({ helper }) => helper.stop()));
      this.halted = true;
      this.release(true);
      if (this.pushed) this.sink.tick(Number(stoppedUs / 1_000_000n), Number(stoppedUs % 1_000_000n) * 1000);
      this.recorder?.close(Number(stoppedUs) / 1e6);
    })();
    return this.stopping;
  }
}

/** Node time = our time + offset: a frame stamped on the node, on our clock. */
export function onOurClock(
  record: { hop: number; tsSec: number; tsNsec: number; origLen: number; data: Uint8Array }, linkType: number, offsetNs: bigint,
): Frame {
  const ns = BigInt(record.tsSec) * 1_000_000_000n + BigInt(record.tsNsec) - offsetNs;
  return {
    hop: record.hop,
    linkType,
    tsSec: Number(ns / 1_000_000_000n),
    tsNsec: Number(ns % 1_000_000_000n),
    data: record.data,
    origLen: record.origLen,
  };
}

