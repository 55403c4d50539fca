import type { Frame, Hop } from '../../model.js';
import { ExitCode, FatalError } from '../../errors.js';
import { createTracer, type Tracer } from '../../correlate/tracer.js';
import type { HopStatus, TraceSession } from '../../session.js';
import { netnsInode, type Netns } from '../../discover/netns.js';
import { CaptureOpenError, startNetnsCapture, type NetnsCapture } from './netnsCapture.js';
import { hopFileName, TraceRecorder } from './recorder.js';

/** libpcap's ring: 10 MiB held ~160 GSO-sized slots and lost packets at ~40 kpps (issue 3). */
export const CAPTURE_BUFFER_BYTES = 64 * 1024 * 1024;

export interface LiveSessionOptions {
  hops: Hop[];
  where: Netns[];
  filters: string[];
  description: string;
  recordDir?: string;
  bufferBytes?: number;
  /** How often frames are handed to the tracer and its clock moved on. */
  tickMs?: number;
  /** Frames from different helpers arrive slightly out of order: hold them this long to sort. */
  holdMs?: number;
  /** Called once when a hop's capture ends on its own (interface vanished...). */
  onProblem?: (hop: Hop, message: string) => void;
  notes?: string[];
}

export const TIMESTAMP_NOTE =
  "timestamps: taken by the kernel as each hop's capture saw the packet (libpcap's packet header, in nanoseconds), on the host's one real-time clock, as tcpdump takes them";

export const DROP_NOTE =
  "capture loss: counted by the kernel per hop (packets libpcap's ring had no room for, packets the interface dropped) and reported as a warning when not zero";

/** Wall-clock nanoseconds minus monotonic nanoseconds: helpers add their hrtime to it. */
function clockAnchor(): bigint {
  return BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
}

export async function startLiveSession(options: LiveSessionOptions): Promise<TraceSession> {
  const hops = options.recordDir ? options.hops.map((hop, i) => ({ ...hop, file: hopFileName(i, hop) })) : options.hops;
  const tracer = createTracer(hops, { timestamps: TIMESTAMP_NOTE.replace(/^timestamps: /, '') });
  const recorder = options.recordDir ? new TraceRecorder(options.recordDir, hops, options.description) : undefined;
  const session = new LiveSession(hops, tracer, options, recorder);
  await session.start();
  return session;
}

class LiveSession implements TraceSession {
  readonly notes: string[];
  readonly done: Promise<void>;
  private readonly status: HopStatus[];
  private readonly anchor = clockAnchor();
  private captures: NetnsCapture[] = [];
  private pending: Frame[] = [];
  private timer?: NodeJS.Timeout;
  private stopping?: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    readonly hops: Hop[],
    readonly tracer: Tracer,
    private readonly options: LiveSessionOptions,
    private readonly recorder?: TraceRecorder,
  ) {
    this.notes = [TIMESTAMP_NOTE, DROP_NOTE, ...(options.notes ?? [])];
    this.status = hops.map(() => ({ packets: 0 }));
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  async start(): Promise<void> {
    const sink = {
      // The recorder opens a hop's file before that hop's first frame can arrive.
      opened: (hop: number, linkType: number) => this.recorder?.open(hop, linkType),
      frame: (f: Frame) => this.arrive(f),
      problem: (hop: number, m: string) => this.problem(hop, m),
    };
    this.captures = groupByNetns(this.options.where).map(({ netns, hops }) =>
      startNetnsCapture(
        {
          netns,
          taps: hops.map((i) => ({ hop: i, iface: this.hops[i]!.iface ?? this.hops[i]!.name, filter: this.options.filters[i] ?? '' })),
          bufferBytes: this.options.bufferBytes ?? CAPTURE_BUFFER_BYTES,
          anchorNs: this.anchor,
        },
        sink,
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
    void this.halt().then(() => this.resolveDone());
  }

  hopStatus(): HopStatus[] {
    const kernel = new Map(this.captures.flatMap((c) => [...c.stats()]));
    return this.status.map((s, hop) => {
      const k = kernel.get(hop);
      return k ? { ...s, kernel: { received: k.received, dropped: k.dropped, ifDropped: k.ifDropped } } : { ...s };
    });
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

  /** Hands the tracer every frame older than the hold time (or all of them), in time order. */
  private release(all: boolean): void {
    const now = this.anchor + process.hrtime.bigint() - BigInt((this.options.holdMs ?? 200) * 1_000_000);
    const cutSec = Number(now / 1_000_000_000n);
    const cutNsec = Number(now % 1_000_000_000n);
    this.pending.sort((a, b) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec);
    let count = this.pending.length;
    if (!all) {
      count = 0;
      while (count < this.pending.length && isBefore(this.pending[count]!, cutSec, cutNsec)) count++;
    }
    for (const frame of this.pending.splice(0, count)) this.tracer.push(frame);
    if (!all) this.tracer.tick(cutSec, cutNsec);
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
      this.release(true);
      this.tracer.tick(Number(stoppedUs / 1_000_000n), Number(stoppedUs % 1_000_000n) * 1000);
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

function isBefore(frame: Frame, sec: number, nsec: number): boolean {
  return frame.tsSec < sec || (frame.tsSec === sec && frame.tsNsec <= nsec);
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
    return new FatalError(`cannot capture on ${hop.name}: ${message}`, ExitCode.NO_PRIVILEGE, 'run as root: sudo hoptrace ...');
  }
  if (/syntax error|can't parse filter|parse error|illegal token|unknown host/i.test(message)) {
    return new FatalError(`bad capture filter at ${hop.name}: ${message.replace(/^[^:]+: /, '')}`, ExitCode.BAD_INPUT);
  }
  if (/no such device/i.test(message)) {
    return new FatalError(`interface ${hop.iface ?? hop.name} (${hop.name}, netns ${hop.netns ?? 'host'}) vanished before capture started`, ExitCode.ENVIRONMENT);
  }
  return new FatalError(`cannot capture on ${hop.name}: ${message}`, ExitCode.ENVIRONMENT);
}
