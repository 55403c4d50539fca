import type { Frame, Hop, KernelCounts } from '../../model.js';
import { EnvironmentError, type FatalError, InputError, PrivilegeError } from '../../errors.js';
import type { FrameSink, FrameSource, HopStatus } from '../../source.js';
import { netnsInode, type Netns } from '../../discover/netns.js';
import { CaptureOpenError, RING_PACKETS, startNetnsCapture, type NetnsCapture, type TimestampPrecision } from './netns-capture.js';
import { recording, type TraceRecorder } from './recorder.js';
import type { CaptureHelpers } from './helper-process.js';
import { takeHeldFrames } from '../held-frames.js';

export interface LiveSessionOptions {
  hops: Hop[];
  where: Netns[];
  filters: string[];
  description: string;
  recordDir?: string;
  /** Slots of libpcap's ring per hop (--ring-packets; default RING_PACKETS). */
  ringPackets?: number;
  /** How often frames are handed to the tracer and its clock moved on. */
  tickMs?: number;
  /** Frames from different helpers arrive slightly out of order: hold them this long to sort. */
  holdMs?: number;
  /** Called once when a hop's capture ends on its own (interface vanished...). */
  onProblem?: (hop: Hop, message: string) => void;
  notes?: string[];
  /** Problems met on the way, for the report (a hop whose capture ended, the container stopped). */
  warnings?: () => string[];
  /**
   * What the end waits for besides the captures (at most SETTLE_MS): a check still finding
   * out why a capture ended, whose warning belongs in the report.
   */
  settling?: () => Promise<unknown>;
  /** Helpers started while the path was discovered; a namespace without one gets a new helper. */
  helpers?: CaptureHelpers;
}

/** The longest the end waits for `settling`. */
const SETTLE_MS = 5000;

const UNITS: Record<TimestampPrecision, string> = { nano: 'nanoseconds', micro: 'microseconds' };

/**
 * Where live timestamps come from, in the precision each hop's capture was opened with
 * (libpcap gives nanoseconds where the kernel offers them, else microseconds); no unit is
 * claimed while a hop is not open yet.
 */
export function timestampNote(hops: Hop[], precision: (TimestampPrecision | undefined)[]): string {
  const units = new Set(hops.map((_, i) => precision[i]));
  let header = "libpcap's packet header";
  if (units.size === 1 && !units.has(undefined)) header += `, in ${UNITS[precision[0]!]}`;
  else if (!units.has(undefined)) header += `, in ${hops.map((hop, i) => `${UNITS[precision[i]!]} at ${hop.name}`).join(', ')}`;
  return `taken by the kernel as each hop's capture saw the packet (${header}), on the host's one real-time clock, as tcpdump takes them`;
}

/**
 * Packets the kernel counted as lost to a hop's capture: the report must not read as if the
 * hop saw everything. Counts that are not final (the capture ended before its last count) are
 * lower bounds, and said so.
 */
export function kernelLossWarning(hop: Hop, k: KernelCounts, final = true): string | undefined {
  if (k.dropped === 0 && k.ifDropped === 0) return undefined;
  const least = final ? '' : 'at least ';
  const parts = [
    k.dropped > 0 ? `${least}${k.dropped}${final ? ` of ${k.received}` : ''} packets dropped by the kernel before the capture read them` : '',
    k.ifDropped > 0 ? `${least}${k.ifDropped} dropped by the interface` : '',
  ];
  return `${hop.name}: ${parts.filter(Boolean).join(', ')}${final ? '' : ' (its last count before the capture ended)'}`;
}

export const DROP_NOTE =
  "capture loss: counted by the kernel per hop (packets libpcap's ring had no room for, packets the interface dropped) and reported as a warning when not zero";

/** Wall-clock nanoseconds minus monotonic nanoseconds: with hrtime, a wall clock that never steps, to compare with the kernel's (wall-clock) packet timestamps. */
function clockAnchor(): bigint {
  return BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
}

/** Live captures in every hop's namespace as a frame source (started by the pipeline). */
export function liveSource(options: LiveSessionOptions): FrameSource {
  const { hops, recorder } = recording(options.hops, options.recordDir, options.description);
  return new LiveSource(hops, options, recorder);
}

class LiveSource implements FrameSource {
  readonly notes: string[];
  readonly ended: Promise<void>;
  private readonly status: HopStatus[];
  private readonly precision: (TimestampPrecision | undefined)[] = [];
  private readonly anchor = clockAnchor();
  private captures: NetnsCapture[] = [];
  private pending: Frame[] = [];
  private timer?: NodeJS.Timeout;
  private stopping?: Promise<void>;
  /** Every helper has ended: only final kernel counts are still the truth. */
  private halted = false;
  private resolveDone!: () => void;
  private sink: FrameSink = { push: () => undefined, tick: () => undefined };

  constructor(
    readonly hops: Hop[],
    private readonly options: LiveSessionOptions,
    private readonly recorder?: TraceRecorder,
  ) {
    this.notes = [`timestamps: ${this.timestamps}`, DROP_NOTE, ...(options.notes ?? [])];
    this.status = hops.map(() => ({ packets: 0 }));
    this.ended = new Promise((resolve) => (this.resolveDone = resolve));
  }

  async start(into: FrameSink): Promise<void> {
    this.sink = into;
    const sink = {
      // The recorder opens a hop's file before that hop's first frame can arrive.
      opened: (hop: number, linkType: number, precision: TimestampPrecision) => this.opened(hop, linkType, precision),
      frame: (f: Frame) => this.arrive(f),
      problem: (hop: number, m: string) => this.problem(hop, m),
    };
    this.captures = groupByNetns(this.options.where).map(({ netns, hops }) =>
      startNetnsCapture(
        {
          netns,
          taps: hops.map((i) => ({ hop: i, iface: this.hops[i]!.iface ?? this.hops[i]!.name, filter: this.options.filters[i] ?? '' })),
          ringPackets: this.options.ringPackets ?? RING_PACKETS,
        },
        sink,
        this.options.helpers?.take(netns),
      ),
    );
    const opened = await Promise.allSettled(this.captures.map((c) => withTimeout(c.ready, 15_000)));
    const failed = opened.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.halt();
      // A trace that never started is not left behind as a recording.
      this.recorder?.discard();
      const error = failed.reason as Error;
      throw openFailure(this.hops[error instanceof CaptureOpenError ? error.hop : 0]!, error);
    }
    this.timer = setInterval(() => this.release(false), this.options.tickMs ?? 100);
  }

  stop(): void {
    void this.halt()
      .then(() => withTimeout(this.options.settling?.() ?? Promise.resolve(), SETTLE_MS).catch(() => undefined))
      .then(() => this.resolveDone());
  }

  get timestamps(): string {
    return timestampNote(this.hops, this.precision);
  }

  warnings(): string[] {
    const kernel = this.kernelStats();
    const lost = this.hops.map((hop, i) => {
      const k = kernel.get(i);
      return k && kernelLossWarning(hop, k, k.final || !this.halted);
    });
    return [...(this.options.warnings?.() ?? []), ...lost.filter((w): w is string => w !== undefined)];
  }

  /** Each hop's kernel counts: as they stand while capturing; once ended, only final ones (a helper that died sent none). */
  hopStatus(): HopStatus[] {
    const kernel = this.kernelStats();
    return this.status.map((s, hop) => {
      const k = kernel.get(hop);
      return k && (k.final || !this.halted) ? { ...s, kernel: { received: k.received, dropped: k.dropped, ifDropped: k.ifDropped } } : { ...s };
    });
  }

  private kernelStats() {
    return new Map(this.captures.flatMap((c) => [...c.stats()]));
  }

  /** A hop's interface is open: its file opens before its first frame; its clock's precision is known. */
  private opened(hop: number, linkType: number, precision: TimestampPrecision): void {
    this.precision[hop] = precision;
    this.notes[0] = `timestamps: ${this.timestamps}`;
    this.recorder?.open(hop, linkType);
    this.sink.linkType?.(hop, linkType);
  }

  private arrive(frame: Frame): void {
    this.status[frame.hop]!.packets++;
    this.recorder?.write(frame);
    this.pending.push(frame);
  }

  private problem(hop: number, message: string): void {
    if (this.status[hop]!.problem) return;
    this.status[hop]!.problem = message;
    this.notes.push(`${this.hops[hop]!.name}: ${message}`);
    this.options.onProblem?.(this.hops[hop]!, message);
    // Nothing left to capture anywhere: end as if stopped, keeping what was seen.
    if (this.status.every((s) => s.problem)) this.stop();
  }

  /** Hands the pipeline every frame older than the hold time (or all of them), in time order. */
  private release(all: boolean): void {
    const now = this.anchor + process.hrtime.bigint() - BigInt((this.options.holdMs ?? 200) * 1_000_000);
    const cutSec = Number(now / 1_000_000_000n);
    const cutNsec = Number(now % 1_000_000_000n);
    const released = takeHeldFrames(this.pending, all ? undefined : { sec: cutSec, nsec: cutNsec });
    for (const frame of released) this.sink.push(frame);
    if (!all) this.sink.tick(cutSec, cutNsec);
    this.recorder?.flush();
  }

  /** Stops every helper, waits for their last frames, and hands everything over. */
  private halt(): Promise<void> {
    this.stopping ??= (async () => {
      // Taken before the captures stop, as replay reads it from path.json: a packet not seen
      // by then is in flight, not lost, and live and replay settle it the same way.
      // Microseconds, as path.json keeps it: live and replay tick to the very same instant.
      const stoppedUs = (this.anchor + process.hrtime.bigint()) / 1000n;
      if (this.timer) clearInterval(this.timer);
      for (const capture of this.captures) capture.stop();
      await Promise.all(this.captures.map((c) => c.ended));
      this.halted = true;
      this.release(true);
      this.sink.tick(Number(stoppedUs / 1_000_000n), Number(stoppedUs % 1_000_000n) * 1000);
      this.recorder?.close(Number(stoppedUs) / 1e6);
    })();
    return this.stopping;
  }
}

/** Hops whose interfaces share a namespace share one helper process (and so one clock). */
function groupByNetns(where: Netns[]): { netns: Netns; hops: number[] }[] {
  const groups = new Map<number, { netns: Netns; hops: number[] }>();
  where.forEach((netns, hop) => {
    const key = netnsInode(netns);
    const group = groups.get(key);
    if (group) group.hops.push(hop);
    else groups.set(key, { netns, hops: [hop] });
  });
  return [...groups.values()];
}


function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000}s`)), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

function openFailure(hop: Hop, error: Error): FatalError {
  const message = error.message;
  if (/permission|not permitted|EPERM|EACCES/i.test(message)) {
    return new PrivilegeError(`cannot capture on ${hop.name}: ${message}`, 'run as root: sudo hoptrace ...');
  }
  if (/syntax error|can't parse filter|parse error|illegal token|unknown host/i.test(message)) {
    return new InputError(`bad capture filter at ${hop.name}: ${message.replace(/^[^:]+: /, '')}`);
  }
  if (/no such device/i.test(message)) {
    return new EnvironmentError(`interface ${hop.iface ?? hop.name} (${hop.name}, netns ${hop.netns ?? 'host'}) vanished before capture started`);
  }
  return new EnvironmentError(`cannot capture on ${hop.name}: ${message}`);
}
