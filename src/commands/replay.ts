import fs from 'node:fs';
import { Command, Option } from 'commander';
import { openTrace, type ReplayTrace, type TraceOptions } from '../capture/trace.js';
import { replaySource, warningText } from '../capture/replay-session.js';
import { ExitCode } from '../errors.js';
import type { CommandOutcome } from './outcome.js';
import { DEFAULTS, FILTER_HELP, filterOption, HTML_HELP, numberOption, outputFileOption, PCAPNG_HELP, SPEED_RANGE, THREADS_RANGE, WINDOW_RANGE } from '../pipeline/options.js';
import { runTrace } from '../pipeline/run-trace.js';
import type { FlowReport, Report, SourceWarning } from '../model.js';
import { chooseOutput, colorEnabled } from '../render/output.js';
import { reportStream } from '../render/report-stream.js';
import { blockingWriter, writerOutcome } from '../render/stdout.js';
import { attachCauses } from '../evidence/causes.js';
import { relayOnlyHop, watchRelays, type RelaySource } from '../evidence/relay-source.js';
import { readHostFile } from '../evidence/host-file.js';
import { traceExports } from '../export/trace-export.js';
import { replayInWorker, wantsReplayWorker, type ReplayTerminal } from '../pipeline/replay-worker.js';
import { hostEvidenceInPcapng } from '../export/host-comments.js';

export interface ReplayOptions {
  json?: boolean;
  jsonl?: boolean;
  text?: boolean;
  tui?: boolean;
  speed: number;
  filter?: string;
  window: number;
  pcapReader: 'pcap-parser' | 'native';
  threads: number;
  allowOutsideFiles?: boolean;
  pcapng?: string;
  html?: string;
}

export function registerReplayCommand(program: Command, outcome: CommandOutcome): void {
  program
    .command('replay')
    .description('report on recorded captures: a trace directory (path.json + one pcap per hop), several capture files (one hop each), one multi-interface pcapng, or one `tcpdump -i any` (LINUX_SLL2) capture')
    .argument('<trace...>', 'trace directory or capture files, in path order')
    .option('--json', 'print one JSON document (see schema/report.schema.json)')
    .option('--jsonl', 'print JSON Lines: one flow per line as its verdict settles, then a summary line (see schema/report-lines.schema.json)')
    .option('--text', 'print text even on a terminal')
    .option('--tui', 'play the trace through the terminal UI')
    .addOption(new Option('--speed <factor>', 'with --tui: 0 as fast as possible, 1 real time').default(DEFAULTS.speed).argParser(numberOption('--speed', SPEED_RANGE)))
    .addOption(new Option('--filter <expr>', FILTER_HELP).argParser(filterOption))
    .addOption(new Option('--window <ms>', 'longest a packet may take from one hop to the next').default(DEFAULTS.windowMs).argParser(numberOption('--window', WINDOW_RANGE)))
    .addOption(new Option('--pcapng <file>', PCAPNG_HELP).argParser(outputFileOption('--pcapng')))
    .addOption(new Option('--html <file>', HTML_HELP).argParser(outputFileOption('--html')))
    .addOption(
      new Option('--pcap-reader <reader>', 'reader for classic pcap: native (hoptrace\'s own, about twice as fast), or the pcap-parser package')
        .choices(['native', 'pcap-parser'])
        .default(DEFAULTS.pcapReader),
    )
    .addOption(
      new Option('--threads <n>', 'read the hop files in n worker threads (0: on the main thread; a whole number up to 64)')
        .default(DEFAULTS.readThreads)
        .argParser(numberOption('--threads', THREADS_RANGE)),
    )
    .option('--allow-outside-files', "read files a trace directory names outside itself (a path with .., an absolute path, a link out, a hard link); the report names them")
    .action(async (inputs: string[], options: ReplayOptions) => {
      outcome.code = await replay(inputs, options);
    });
}

async function replay(inputs: string[], options: ReplayOptions): Promise<number> {
  const terminal: ReplayTerminal = { stdoutTty: Boolean(process.stdout.isTTY), stderrTty: Boolean(process.stderr.isTTY), color: colorEnabled(process.stdout) };
  // The UI and the exports stay on the main thread; a big report-only replay runs in a worker.
  const mainOnly = chooseOutput({ ...options, json: options.json || options.jsonl }, terminal.stdoutTty, false) === 'tui' || options.html || options.pcapng;
  if (!mainOnly && wantsReplayWorker(inputs)) return replayInWorker({ inputs, options, terminal });
  return replayHere(inputs, options, terminal);
}

/** The replay on this thread (the main one, or the worker of replay-thread.ts). */
export async function replayHere(inputs: string[], options: ReplayOptions, terminal: ReplayTerminal, readElsewhere?: TraceOptions['readElsewhere']): Promise<number> {
  const trace = openTrace(inputs, { classicReader: options.pcapReader, allowOutside: options.allowOutsideFiles === true, readThreads: options.threads, readElsewhere });
  const mode = chooseOutput({ ...options, json: options.json || options.jsonl }, terminal.stdoutTty, false);
  // The host's lo, where recorded, only ties docker-proxy's relays: it is not on the path.
  const pathHops = trace.hops.filter((h) => !relayOnlyHop(h, trace.hops));
  const exports = traceExports(options, pathHops, trace.description);
  const traceOptions = { windowMs: options.window, filter: options.filter, listeners: exports.listeners, taps: exports.taps };
  // Printed as flows settle, so memory stays bounded in flows; the exports need every flow at the end.
  const format = options.jsonl ? 'jsonl' : mode === 'json' ? 'json' : 'text';
  const stdout = blockingWriter(1);
  const stream = reportStream(format, pathHops, (text) => stdout.write(text), { color: terminal.color, filter: options.filter });
  const evidence = trace.hostFile !== undefined ? readHostFile(trace.hostFile) : hostEvidenceInFile(inputs);
  // A retired flow gets its causes as the rest will at the end; the TUI explains the selected flow.
  const withCauses = (flow: FlowReport) => attachCauses({ hops: pathHops, flows: [flow], summary: NO_SUMMARY }, evidence).flows[0]!;
  let report: Report;
  let relays: RelaySource;
  if (mode === 'tui') {
    // Loaded before the replay starts, so the UI hears of the very first journey.
    const { runTui } = await import('../render/tui/index.js');
    relays = watchRelays(replaySource(trace, { speed: options.speed, interactive: true }));
    const session = await runTrace(relays.source, traceOptions);
    const speedNote = options.speed === 0 ? 'replay as fast as possible' : `replay at ${options.speed}x real time`;
    report = await runTui(session, { color: terminal.color, speedNote, explainFlow: (flow) => withCauses(relays.attachFlow(flow, pathHops)) });
  } else {
    const progress = terminal.stderrTty ? progressLine(trace) : undefined;
    const source = watchRelays(replaySource(trace, { speed: 0, progress: progress?.update }));
    relays = source;
    const onRetired = options.html || options.pcapng ? undefined : (flow: FlowReport) => stream.flow(withCauses(source.attachFlow(flow, pathHops)));
    try {
      report = await (await runTrace(source.source, { ...traceOptions, onRetired })).report;
    } finally {
      progress?.clear();
    }
  }
  report = attachCauses(relays.attach(report), evidence);
  printWarnings(trace.warnings);
  for (const warning of exports.finish(report, evidence)) process.stderr.write(`hoptrace: warning: ${warning}\n`);
  const counts = stream.end(report);
  return writerOutcome(stdout.failure, counts.flows > 0 && counts.notOk === 0 ? ExitCode.OK : ExitCode.NOT_OK);
}

const NO_SUMMARY: Report['summary'] = { packetsPerHop: [], skippedFrames: 0, otherFlows: 0, warnings: [], timestamps: '' };

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

/** One pcapng written by --pcapng carries the host's state in its section header. */
function hostEvidenceInFile(inputs: string[]) {
  return inputs.length === 1 && fs.statSync(inputs[0]!).isFile() ? hostEvidenceInPcapng(inputs[0]!) : undefined;
}
