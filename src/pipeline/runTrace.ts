import type { Hop, Report } from '../model.js';
import type { TraceListener, TraceSession } from '../session.js';
import type { FlowFilter } from '../explain/filter.js';
import { resolveOptions, type TraceOptions } from './options.js';
import type { FrameSource, HopStatus } from '../source.js';
import { createTracer } from './tracer.js';

export interface RunOptions extends TraceOptions {
  /** Told of every event from the first frame on (an exporter that must not miss a journey). */
  listeners?: TraceListener[];
}

/**
 * The one assembly of the core, for replay and every live command: frames from the source ->
 * decode -> journeys -> flows -> explain -> a feed of reports and events. The caller owns the
 * trace: it resolves `report` by letting the source run out or by calling stop().
 */
export async function runTrace(source: FrameSource, options: RunOptions = {}): Promise<TraceSession> {
  const { windowMs, keep } = resolveOptions(options);
  const tracer = createTracer(source.hops, { windowMs, timestamps: source.timestamps });
  const select = (report: Report): Report => ({
    ...report,
    hops: withKernelCounts(report.hops, source.hopStatus()),
    flows: keep ? report.flows.filter(keep) : report.flows,
    // A live source knows its timestamps' precision only once every hop's capture is open.
    summary: { ...report.summary, timestamps: source.timestamps ?? report.summary.timestamps, warnings: [...report.summary.warnings, ...source.warnings()] },
  });
  const subscribe = (listener: TraceListener): (() => void) => tracer.subscribe(keep ? kept(listener, keep) : listener);
  for (const listener of options.listeners ?? []) subscribe(listener);
  await source.start(tracer);
  return {
    hops: source.hops,
    get notes() {
      return source.notes;
    },
    hopStatus: () => source.hopStatus(),
    subscribe,
    snapshot: () => select(tracer.snapshot()),
    report: source.ended.then(() => select(tracer.finish())),
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
