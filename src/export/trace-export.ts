// What --pcapng and --html add to a trace, in one place for replay and every live command:
// the listeners and frame taps handed to runTrace (so nothing from the first frame on is
// missed), and the page written from the final report.
import type { HostEvidence } from '../evidence/host-file.js';
import type { Hop, Report } from '../model.js';
import type { FrameTap, TraceListener } from '../session.js';
import { LadderCollector, writeHtmlReport } from '../render/html/index.js';
import { PcapngExport } from './pcapng-export.js';
import { hoptraceVersion } from './version.js';

/** The --pcapng and --html options, as the commands read them. */
export interface ExportFlags {
  pcapng?: string;
  html?: string;
  /** --filter: flows are judged as they change, so the pcapng holds back comments until a flow is kept. */
  filter?: string;
}

export interface TraceExports {
  /** Given to runTrace: told of every event from the first frame on. */
  listeners: TraceListener[];
  /** Given to runTrace: every frame and how far settling got (the pcapng closes itself when the trace ends). */
  taps: FrameTap[];
  /**
   * With the final report, as the text report shows it (causes attached), and the host's state
   * it was judged on, if any: writes the page and completes the pcapng. Returns warnings to print.
   */
  finish(report: Report, evidence?: HostEvidence): string[];
}

/** Opens the files asked for (an unwritable --pcapng is an input error before any capture). */
export function traceExports(flags: ExportFlags, hops: Hop[], description: string | undefined): TraceExports {
  const listeners: TraceListener[] = [];
  const taps: FrameTap[] = [];
  let pcapng: PcapngExport | undefined;
  if (flags.pcapng !== undefined) {
    pcapng = new PcapngExport(flags.pcapng, hops, { description, filtered: flags.filter !== undefined });
    listeners.push(pcapng.listener);
    taps.push(pcapng);
  }
  const ladders = flags.html !== undefined ? new LadderCollector() : undefined;
  if (ladders) listeners.push(ladders.listener);
  return {
    listeners,
    taps,
    finish(report, evidence) {
      if (ladders && flags.html !== undefined) writeHtmlReport(flags.html, report, ladders, { description, version: hoptraceVersion() });
      const warning = pcapng?.complete(report, evidence);
      return warning ? [warning] : [];
    },
  };
}
