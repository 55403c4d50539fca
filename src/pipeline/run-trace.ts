import type { FlowReport, Hop, Report } from '../model.js';
import type { FrameTap, TraceListener, TraceSession } from '../session.js';
import type { FlowFilter } from '../explain/filter.js';
import { DEFAULTS, resolveOptions, type TraceOptions } from './options.js';
import type { FrameSink, FrameSource, HopStatus } from '../source.js';
import { createTracer, type Tracer } from './tracer.js';

export interface RunOptions extends TraceOptions {
  /**
   * Flows that can be written out before the end (idle for DEFAULTS.flowIdleMs, or the
   * least recently seen past DEFAULTS.maxFlows held) go here and leave memory; the final
   * report holds only the rest. Filtered like the report.
   */
  onRetired?: (flow: FlowReport) => void;
  /** Told of every event from the first frame on (an exporter that must not miss a journey). */
  listeners?: TraceListener[];
  /** Given every frame before the core, and told how far settling got (the --pcapng export). */
  taps?: FrameTap[];
}

/**
 * The one assembly of the core, for replay and every live command: frames from the source ->
 * decode -> journeys -> flows -> explain -> a feed of reports and events. The caller owns the
 * trace: it resolves `report` by letting the source run out or by calling stop().
 */
export async function runTrace(source: FrameSource, options: RunOptions = {}): Promise<TraceSession> {
  const { windowMs, keep } = resolveOptions(options);
  const onRetired = options.onRetired;
  const retire = onRetired && {
    idleMs: DEFAULTS.flowIdleMs,
    maxFlows: DEFAULTS.maxFlows,
    onRetired: keep ? (flow: FlowReport) => keep(flow) && onRetired(flow) : onRetired,
  };
  const tracer = createTracer(source.hops, { windowMs, timestamps: source.timestamps, retire });
  const select = (report: Report): Report => ({
    ...report,
    hops: withKernelCounts(report.hops, source.hopStatus()),
    flows: keep ? report.flows.filter(keep) : report.flows,
    // A live source knows its timestamps' precision only once every hop's capture is open.
    summary: { ...report.summary, timestamps: source.timestamps ?? report.summary.timestamps, warnings: [...report.summary.warnings, ...source.warnings()] },
  });
  const subscribe = (listener: TraceListener): (() => void) => tracer.subscribe(keep ? kept(listener, keep) : listener);
  for (const listener of options.listeners ?? []) subscribe(listener);
  const taps = options.taps ?? [];
  await source.start(taps.length > 0 ? tapped(tracer, taps) : tracer);
  return {
    hops: source.hops,
    get notes() {
      return source.notes;
    },
    hopStatus: () => source.hopStatus(),
    subscribe,
    snapshot: () => select(tracer.snapshot()),
    report: source.ended.then(() => {
      const report = select(tracer.finish());
      for (const tap of taps) {
        tap.settledBefore(undefined);
        tap.end(report);
      }
      return report;
    }),
    stop: () => source.stop(),
  };
}

/** A live hop's kernel counters, as its source last had them, on the report's hop. */
function withKernelCounts(hops: Hop[], status: HopStatus[]): Hop[] {
  return hops.map((hop, i) => {
    const kernel = status[i]?.kernel;
    return kernel ? { ...hop, kernel } : hop;
  });
}

/** Flow events of flows the filter leaves out are not passed on; journeys are (they carry no flow yet). */
function kept(listener: TraceListener, keep: FlowFilter): TraceListener {
  return (event) => {
    if (event.kind !== 'flow' || keep(event.flow)) listener(event);
  };
}

/** The sink the source fills when frames are tapped: each tap sees a frame before the core, then how far settling got. */
function tapped(tracer: Tracer, taps: FrameTap[]): FrameSink {
  const settled = (): void => {
    const oldest = tracer.oldestOpen();
    for (const tap of taps) tap.settledBefore(oldest);
  };
  return {
    push(frame) {
      for (const tap of taps) tap.frame(frame);
      tracer.push(frame);
      settled();
    },
    lastPacket: () => tracer.lastPacket(),
    linkType(hop, linkType) {
      for (const tap of taps) tap.linkType?.(hop, linkType);
    },
    tick(tsSec, tsNsec) {
      for (const tap of taps) tap.tick(tsSec, tsNsec);
      tracer.tick(tsSec, tsNsec);
      settled();
    },
    hopEnded: (hop, tsSec, tsNsec) => tracer.hopEnded(hop, tsSec, tsNsec),
  };
}
