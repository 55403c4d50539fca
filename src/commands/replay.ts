import { Command, Option } from 'commander';
import { setExitCode } from '../cli.js';
import { openTrace, type ReplayTrace } from '../capture/trace.js';
import { playTrace, replaySession, warningText } from '../capture/replaySession.js';
import { createTracer, type Tracer } from '../correlate/tracer.js';
import { ExitCode, FatalError } from '../errors.js';
import { compileFlowFilter } from '../explain/filter.js';
import type { Report, SourceWarning } from '../model.js';
import { renderJson } from '../render/json.js';
import { chooseOutput, colorEnabled } from '../render/output.js';
import { renderText } from '../render/text.js';
import { exportingTracer, type TraceExport } from '../export/trace-export.js';
import { PcapngExport } from '../export/pcapng-export.js';
import { hoptraceVersion } from '../export/version.js';
import { LadderCollector, writeHtmlReport } from '../render/html/index.js';

interface ReplayOptions {
  json?: boolean;
  text?: boolean;
  tui?: boolean;
  speed: number;
  filter?: string;
  window: number;
  pcapReader: 'pcap-parser' | 'native';
  pcapng?: string;
  html?: string;
}

function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new FatalError(`${name} must be a number >= 0, not '${value}'`, ExitCode.BAD_INPUT);
    return n;
  };
}

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description('report on recorded captures: a trace directory (path.json + one pcap per hop), several capture files (one hop each), one multi-interface pcapng, or one `tcpdump -i any` (LINUX_SLL2) capture')
    .argument('<trace...>', 'trace directory or capture files, in path order')
    .option('--json', 'print one JSON document (see schema/report.schema.json)')
    .option('--text', 'print text even on a terminal')
    .option('--tui', 'play the trace through the terminal UI')
    .addOption(new Option('--speed <factor>', 'with --tui: 0 as fast as possible, 1 real time').default(0).argParser(positiveNumber('--speed')))
    .option('--filter <expr>', 'keep flows matching a pcap-filter-like expression (host, net, port, src, dst, tcp, udp, icmp, and/or/not)')
    .addOption(new Option('--window <ms>', 'longest a packet may take from one hop to the next').default(500).argParser(positiveNumber('--window')))
    .option('--pcapng <file>', 'also write the trace as one pcapng for Wireshark: one interface per hop, each packet commented with its flow, journey and rewrites')
    .option('--html <file>', 'also write the report as one self-contained HTML page with a ladder diagram per flow')
    .addOption(
      new Option('--pcap-reader <reader>', 'reader for classic microsecond pcap: pcap-parser, or native (hoptrace\'s own, several times faster)')
        .choices(['pcap-parser', 'native'])
        .default('pcap-parser'),
    )
    .action(async (inputs: string[], options: ReplayOptions, command: Command) => {
      setExitCode(command, await replay(inputs, options));
    });
}

async function replay(inputs: string[], options: ReplayOptions): Promise<number> {
  const keep = options.filter ? compileFlowFilter(options.filter) : () => true;
  const trace = openTrace(inputs, { classicReader: options.pcapReader });
  const exports: TraceExport[] = [];
  if (options.pcapng) exports.push(new PcapngExport(options.pcapng, trace.hops, { description: trace.description }));
  const ladders = options.html ? new LadderCollector() : undefined;
  if (ladders) exports.push(ladders);
  const tracer = exportingTracer(createTracer(trace.hops, { windowMs: options.window }), exports);
  const mode = chooseOutput(options, Boolean(process.stdout.isTTY), false);
  let report: Report;
  if (mode === 'tui') {
    const { runTui } = await import('../render/tui/index.js');
    const speedNote = options.speed === 0 ? 'replay as fast as possible' : `replay at ${options.speed}x real time`;
    report = await runTui(replaySession(trace, tracer, { speed: options.speed }), { color: colorEnabled(process.stdout), speedNote });
  } else {
    report = playAll(trace, tracer);
  }
  printWarnings(trace.warnings);
  report = { ...report, flows: report.flows.filter(keep), summary: { ...report.summary, warnings: trace.warnings.map(warningText) } };
  if (options.html && ladders) writeHtmlReport(options.html, report, ladders, { description: trace.description, version: hoptraceVersion() });
  process.stdout.write(mode === 'json' ? renderJson(report) : renderText(report, { color: colorEnabled(process.stdout) }));
  return report.flows.length > 0 && report.flows.every((f) => f.verdict === 'ok') ? ExitCode.OK : ExitCode.NOT_OK;
}

/** Reads the whole trace into the tracer, telling a person on a terminal how far it got. */
function playAll(trace: ReplayTrace, tracer: Tracer): Report {
  const progress = process.stderr.isTTY ? progressLine(trace) : undefined;
  try {
    return playTrace(trace, tracer, progress?.update);
  } finally {
    progress?.clear();
  }
}

/** The reader's own byte count gives a percentage, shown once a replay takes more than a second. */
function progressLine(trace: ReplayTrace) {
  const started = Date.now();
  let shown = false;
  return {
    update() {
      if (Date.now() - started < 1000) return;
      shown = true;
      const { done, total } = trace.progress();
      process.stderr.write(`\rreading: ${total > 0 ? Math.floor((100 * done) / total) : 0}%`);
    },
    clear() {
      if (shown) process.stderr.write('\r\u001b[K');
    },
  };
}

function printWarnings(warnings: SourceWarning[]): void {
  for (const w of warnings) process.stderr.write(`hoptrace: warning: ${warningText(w)}\n`);
}
