// What --pcapng and --html add to a trace, in one place for replay and every live command:
// the listeners and frame taps handed to runTrace (so nothing from the first frame on is
// missed), and the page written from the final report.
import type { Hop, Report } from '../model.js';
import type { FrameTap, TraceListener } from '../session.js';
import { LadderCollector, writeHtmlReport } from '../render/html/index.js';
import { PcapngExport } from './pcapng-export.js';
import { hoptraceVersion } from './version.js';

/** The --pcapng and --html options, as the commands read them. */
export interface ExportFlags {
  pcapng?: string;
  html?: string;
}

export interface TraceExports {
  /** Given to runTrace: told of every event from the first frame on. */
  listeners: TraceListener[];
  /** Given to runTrace: every frame and how far settling got (the pcapng closes itself when the trace ends). */
  taps: FrameTap[];
  /** With the final report, as the text report shows it: writes the page. */
  finish(report: Report): void;
}

/** Opens the files asked for (an unwritable --pcapng is an input error before any capture). */
export function traceExports(flags: ExportFlags, hops: Hop[], description: string | undefined): TraceExports {
  const listeners: TraceListener[] = [];
  const taps: FrameTap[] = [];
  if (flags.pcapng !== undefined) {
    const pcapng = new PcapngExport(flags.pcapng, hops, { description });
    listeners.push(pcapng.listener);
    taps.push(pcapng);
  }
  const ladders = flags.html !== undefined ? new LadderCollector() : undefined;
  if (ladders) listeners.push(ladders.listener);
  return {
    listeners,
    taps,
    finish(report) {
      if (ladders && flags.html !== undefined) writeHtmlReport(flags.html, report, ladders, { description, version: hoptraceVersion() });
    },
  };
}
