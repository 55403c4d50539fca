import { isIP } from 'node:net';
import { Command, Option } from 'commander';
import type { CommandOutcome } from './outcome.js';
import { ExitCode, InputError } from '../errors.js';
import type { Hop, Report } from '../model.js';
import type { TraceSession } from '../session.js';
import { chooseOutput, colorEnabled, type OutputFlags } from '../render/output.js';
import { reportStream, type ReportStream } from '../render/report-stream.js';
import { blockingWriter, writerOutcome } from '../render/stdout.js';
import { streamFlowLines } from '../render/stream.js';
import { listenForInterrupt } from './interrupt.js';
// Live capture, Docker (dockerode, ssh2) and discovery are loaded by the commands that use them:
// replay never loads them.
import type { LiveTraceRequest, Presenter } from './live-trace.js';
import type { FlowSelector } from '../capture/live/bpf.js';
import type { TargetSpec } from '../discover/target.js';
import type { TraceExports } from '../export/trace-export.js';
import type { HostEvidence } from '../evidence/host-file.js';
import type { CaptureHelpers } from '../capture/live/helper-process.js';
import { DEFAULTS, FILTER_HELP, filterOption, HTML_HELP, numberOption, outputFileOption, PCAPNG_HELP, WINDOW_RANGE } from '../pipeline/options.js';

interface TargetFlags {
  pid?: string;
  netns?: string;
  hostNetns?: string;
  dockerTimeout?: number;
}

interface CaptureFlags extends TargetFlags, OutputFlags {
  record?: string;
  pcapng?: string;
  html?: string;
  ringPackets: number;
  window: number;
  filter?: string;
  verbose?: boolean;
  traceRules?: boolean;
  jsonl?: boolean;
}

const TRACE_RULES_HELP = "trace the flow through the Docker host's firewall with a temporary nftables table (changes the ruleset while the trace runs; removed at the end, on Ctrl-C and SIGTERM)";

/** The live commands (ping, tcp, udp, watch, path). */
export function registerLiveCommands(program: Command, outcome: CommandOutcome): void {
  registerPing(program, outcome);
  registerProbe(program, 'tcp', outcome);
  registerProbe(program, 'udp', outcome);
  registerWatch(program, outcome);
  registerPathCommand(program, outcome);
}

function registerPing(program: Command, outcome: CommandOutcome): void {
  captureCommand(program, 'ping', 'send ICMP echo from inside a container and follow it across every hop')
    .argument('[container]', 'container name or id (omit with --pid/--netns)')
    .argument('[destination]', 'address or host name to ping')
    .addOption(new Option('-c, --count <n>', 'echo requests to send').default(3).argParser(numberOption('--count', { min: 1, max: 100_000, integer: true })))
    .addOption(new Option('-i, --interval <seconds>', 'time between echo requests').default(0.5).argParser(numberOption('--interval', { min: 0.01, max: 60 })))
    .option('--trace-rules', TRACE_RULES_HELP)
    .action(async (a: string | undefined, b: string | undefined, flags: CaptureFlags & { count: number; interval: number }, cmd: Command) => {
      const [target, destination] = positionals(flags, a, b, 'destination');
      const dest = await resolveAddress(required(destination, 'destination'));
      const request = baseRequest(cmd, target, dest, { proto: 'icmp', destination: dest }, flags);
      const { pingFrom } = await import('../capture/live/traffic.js');
      request.traffic = (ns) => pingFrom(ns, dest, flags.count, flags.interval);
      request.inContainer = pingInContainer(dest, flags.count, flags.interval);
      outcome.code = await finish(cmd, request, flags);
    });
}

function registerProbe(program: Command, proto: 'tcp' | 'udp', outcome: CommandOutcome): void {
  const what = proto === 'tcp' ? 'open a TCP connection' : 'send one UDP datagram';
  captureCommand(program, proto, `${what} from inside a container and follow it across every hop`)
    .argument('[container]', 'container name or id (omit with --pid/--netns)')
    .argument('[host:port]', 'destination')
    .addOption(new Option('--timeout <seconds>', 'how long to wait for an answer').default(3).argParser(numberOption('--timeout', { min: 0.1, max: 600 })))
    .option('--trace-rules', TRACE_RULES_HELP)
    .action(async (a: string | undefined, b: string | undefined, flags: CaptureFlags & { timeout: number }, cmd: Command) => {
      const [target, hostPort] = positionals(flags, a, b, 'host:port');
      const { host, port } = parseHostPort(required(hostPort, 'host:port'));
      const dest = await resolveAddress(host);
      const request = baseRequest(cmd, target, dest, { proto, destination: dest, port }, flags);
      const { probeFrom } = await import('../capture/live/traffic.js');
      request.traffic = (ns) => probeFrom(ns, probeSpec(proto, dest, port, flags.timeout));
      request.inContainer = probeInContainer(proto, dest, port, flags.timeout);
      outcome.code = await finish(cmd, request, flags);
    });
}

/** The ping run in the container of a trace across hosts (docker exec). */
export function pingInContainer(dest: string, count: number, interval: number): string[] {
  return ['ping', '-c', String(count), '-i', String(interval), dest];
}

/** The TCP connect or UDP datagram sent from the traced namespace. */
export function probeSpec(proto: 'tcp' | 'udp', host: string, port: number, timeoutSeconds: number): { mode: 'tcp' | 'udp'; host: string; port: number; timeoutMs: number } {
  return { mode: proto, host, port, timeoutMs: timeoutSeconds * 1000 };
}

/** The same probe run in the container of a trace across hosts: nc, waiting whole seconds. */
export function probeInContainer(proto: 'tcp' | 'udp', dest: string, port: number, timeoutSeconds: number): string[] {
  return ['nc', ...(proto === 'udp' ? ['-u'] : []), '-w', String(Math.ceil(timeoutSeconds)), dest, String(port)];
}

function registerWatch(program: Command, outcome: CommandOutcome): void {
  captureCommand(program, 'watch', "capture a container's traffic on every hop until Ctrl-C")
    .argument('[container]', 'container name or id (omit with --pid/--netns)')
    .argument('[filter]', 'pcap filter (compiled by libpcap) to keep only the flow being debugged')
    .action(async (a: string | undefined, b: string | undefined, flags: CaptureFlags, cmd: Command) => {
      const [target, filter] = positionals(flags, a, b, 'filter');
      outcome.code = await finish(cmd, baseRequest(cmd, target, undefined, { proto: 'any', userFilter: filter }, flags), flags);
    });
}

function captureCommand(program: Command, name: string, description: string): Command {
  return targetOptions(program.command(name).description(description))
    .option('--record <dir>', 'also write a trace directory (path.json + one pcap per hop) for `hoptrace replay`')
    .option('--host <name=endpoint>', 'a Docker host of a multi-host (overlay) trace, as unix:///path, tcp://host:port or ssh://user@host (DOCKER_HOST when only a name is given); repeat per host', (v: string, all: string[] = []) => [...all, v])
    .addOption(new Option('--pcapng <file>', PCAPNG_HELP).argParser(outputFileOption('--pcapng')))
    .addOption(new Option('--html <file>', HTML_HELP).argParser(outputFileOption('--html')))
    .option('--json', 'print one JSON document (see schema/report.schema.json)')
    .option('--jsonl', 'print JSON Lines: one flow per line, then a summary line (see schema/report-lines.schema.json)')
    .option('--text', 'print text even on a terminal')
    .option('--tui', 'show the live terminal UI (the default on a terminal)')
    .option('-v, --verbose', 'say how the path was found and what each hop captures')
    .addOption(new Option('--filter <expr>', FILTER_HELP).argParser(filterOption))
    .addOption(new Option('--window <ms>', 'longest a packet may take from one hop to the next').default(DEFAULTS.windowMs).argParser(numberOption('--window', WINDOW_RANGE)))
    .addOption(
      new Option('--ring-packets <n>', "packets libpcap's ring holds per hop: a burst larger than the ring is lost, and the kernel counts the loss")
        .default(DEFAULTS.ringPackets)
        .argParser(numberOption('--ring-packets', { min: 64, max: 1_048_576, integer: true })),
    )
    .addOption(new Option('--buffer-mib <MiB>').hideHelp().argParser(bufferMibRefused));
}

/** The ring was sized in bytes for 64 KiB packets; in 296-byte slots the same number would mean another ring: refused, not converted. */
function bufferMibRefused(): never {
  throw new InputError(`--buffer-mib is no longer taken: libpcap's ring per hop is sized in packets now, --ring-packets <n> (default ${DEFAULTS.ringPackets})`);
}

function targetOptions(command: Command): Command {
  return command
    .option('--pid <pid>', 'trace the network namespace of a process instead of a container')
    .option('--netns <name|path>', 'trace a network namespace (ip netns name or path) instead of a container')
    .option('--host-netns <name|path>', "the namespace holding the veth peers and bridge (default: dockerd's, else ours)")
    .addOption(new Option('--docker-timeout <seconds>', 'how long to wait for Docker to answer').default(10).argParser(numberOption('--docker-timeout', { min: 0.1, max: 600 })));
}

function registerPathCommand(program: Command, outcome: CommandOutcome): void {
  targetOptions(program.command('path').description('print the discovered path (interfaces, addresses, MTU, bridge, route, NAT rules) without capturing'))
    .argument('[container]', 'container name or id (omit with --pid/--netns)')
    .argument('[destination]', 'where the traffic goes (default: the default route)')
    .option('--json', 'print one JSON document')
    .action(async (a: string | undefined, b: string | undefined, flags: TargetFlags & { json?: boolean }, cmd: Command) => {
      const { requireCaptureRights } = await import('../capture/live/privilege.js');
      const { resolveTarget } = await import('../discover/target.js');
      const { discoverPath } = await import('../discover/path.js');
      const { describePath, pathDocument } = await import('../discover/describe.js');
      requireCaptureRights(commandLine(cmd));
      const [target, destination] = positionals(flags, a, b, 'destination');
      const dest = destination ? await resolveAddress(destination) : undefined;
      const path = await discoverPath(await resolveTarget(target), dest);
      process.stdout.write(flags.json ? `${JSON.stringify(pathDocument(path), null, 2)}\n` : describePath(path));
      outcome.code = ExitCode.OK;
    });
}

function baseRequest(cmd: Command, target: TargetSpec, destination: string | undefined, selector: FlowSelector, flags: CaptureFlags): LiveTraceRequest {
  return traceRequest(commandLine(cmd), target, destination, selector, flags);
}

/** What every live command asks of the trace, before its traffic and output are added. */
export function traceRequest(
  line: string,
  target: TargetSpec,
  destination: string | undefined,
  selector: FlowSelector,
  flags: Pick<CaptureFlags, 'window' | 'record' | 'traceRules' | 'ringPackets' | 'filter'>,
): LiveTraceRequest {
  return {
    target,
    destination,
    selector,
    // Once the traffic ended, what is left settles within the matching window: then the trace ends.
    lingerMs: flags.window,
    recordDir: flags.record,
    traceRules: flags.traceRules ?? false,
    ringPackets: flags.ringPackets,
    trace: { windowMs: flags.window, filter: flags.filter },
    commandLine: line,
    say: () => undefined,
  };
}

/** Runs the trace, shows it, prints the final report and returns the exit code. */
async function finish(cmd: Command, request: LiveTraceRequest, flags: CaptureFlags): Promise<number> {
  const { mode, format, streamRetired } = liveOutput(flags, Boolean(process.stdout.isTTY));
  const color = colorEnabled(process.stdout);
  const later: string[] = [];
  // Lines on stderr would tear the UI apart: keep them until it is gone.
  request.say = sayLines(mode, later);
  // Text and JSON read Ctrl-C as a key from a terminal (see interrupt.ts); the Ink UI reads its own keys.
  const interrupt = listenForInterrupt({ readKeys: mode !== 'tui' });
  const stdout = blockingWriter(1);
  // Made once the path (and so the hops) is known, before the first frame.
  let stream: ReportStream | undefined;
  const streamFor = (hops: Hop[]) => (stream ??= reportStream(format, hops, (text) => stdout.write(text), { color, filter: flags.filter }));
  // Printed as flows settle, so memory stays bounded in flows; the exports need every flow at the end,
  // and the UI's final report is printed whole after it.
  if (streamRetired) request.onRetired = (flow) => stream?.flow(flow);
  let report: Report;
  let exports: TraceExports | undefined;
  let evidence: HostEvidence | undefined;
  request.onHostEvidence = (e) => (evidence = e);
  const hosts = (flags as { host?: string[] }).host;
  let helpers: CaptureHelpers | undefined;
  try {
    if (!hosts?.length) request.helpers = helpers = await startHelpersEarly(request, debugLog(cmd, request));
    const { runLiveTrace } = await import('./live-trace.js');
    const { traceExports } = await import('../export/trace-export.js');
    request.exports = (hops, description) => {
      streamFor(hops);
      return (exports = traceExports(flags, hops, description));
    };
    const run = hosts?.length ? (await import('./multi-host-trace.js')).runMultiHostTrace : runLiveTrace;
    report = await run({ ...request, hosts: hosts ?? [] }, presenter(mode, color, flags.verbose ?? false, flags.window), interrupt);
  } finally {
    interrupt.dispose();
    helpers?.dispose();
  }
  for (const warning of exports?.finish(report, evidence) ?? []) later.push(`warning: ${warning}`);
  for (const line of later) process.stderr.write(`hoptrace: ${line}\n`);
  const counts = streamFor(report.hops).end(report);
  return writerOutcome(stdout.failure, exitCodeOf(counts));
}

/**
 * How a live trace is shown: the UI on a terminal unless --text/--json/--jsonl; the report's
 * format; whether flows are printed as they retire (not in the UI, nor when an export needs
 * every flow at the end).
 */
export function liveOutput(flags: Pick<CaptureFlags, 'json' | 'jsonl' | 'text' | 'tui' | 'html' | 'pcapng'>, stdoutIsTty: boolean): { mode: 'tui' | 'text' | 'json'; format: 'jsonl' | 'json' | 'text'; streamRetired: boolean } {
  const mode = chooseOutput({ ...flags, json: flags.json || flags.jsonl }, stdoutIsTty, true);
  const format = flags.jsonl ? 'jsonl' : mode === 'json' ? 'json' : 'text';
  return { mode, format, streamRetired: mode !== 'tui' && !flags.html && !flags.pcapng };
}

/** Lines for the user: on stderr at once, or kept until the UI is gone (they would tear it apart). */
export function sayLines(mode: 'tui' | 'text' | 'json', later: string[], stderr: (text: string) => void = (text) => void process.stderr.write(text)): (line: string) => void {
  return (line) => void (mode === 'tui' ? later.push(line) : stderr(`hoptrace: ${line}\n`));
}

/** As the README's table says, for watch too: no flow of the traced container seen is exit 1. */
export function exitCodeOf(counts: { flows: number; notOk: number }): number {
  return counts.flows > 0 && counts.notOk === 0 ? ExitCode.OK : ExitCode.NOT_OK;
}

/**
 * The privilege check, then the capture helper of the path's host side, before anything else:
 * node and libpcap load in it while this process loads the Docker client and finds the path;
 * the container's helper follows as soon as Docker has named its namespace (runLiveTrace).
 */
async function startHelpersEarly(request: LiveTraceRequest, log?: (event: string) => void): Promise<CaptureHelpers> {
  const [{ requireCaptureRights }, { CaptureHelpers }, { hostSideOf }, { peekContainer }, { netnsOfPid }] = await Promise.all([
    import('../capture/live/privilege.js'),
    import('../capture/live/helper-process.js'),
    import('../discover/host-netns.js'),
    import('../discover/docker-host.js'),
    import('../discover/netns.js'),
  ]);
  requireCaptureRights(request.commandLine);
  const helpers = new CaptureHelpers(log);
  const spec = request.target;
  if (spec.kind === 'docker') {
    // Asked without the Docker client, which takes a few hundred milliseconds to load.
    void peekContainer(spec.ref).then((found) => found && helpers.startIn(netnsOfPid(found.pid, `container:${found.name}`))).catch(() => undefined);
  }
  try {
    helpers.startIn(hostSideOf(spec).hostNetns);
  } catch {
    // A --host-netns that does not exist: resolving the target says so, in one line.
  }
  return helpers;
}

/** --debug: when each step of the start ended, in seconds since the process started. */
function debugLog(cmd: Command, request: LiveTraceRequest): ((event: string) => void) | undefined {
  if (!(cmd.optsWithGlobals() as { debug?: boolean }).debug) return undefined;
  return (event) => request.say(debugLine(event, performance.now()));
}

/** A --debug line: when a step of the start ended, in seconds (to the millisecond) since the process started. */
export function debugLine(event: string, sinceStartMs: number): string {
  return `debug: ${(sinceStartMs / 1000).toFixed(3)} s: ${event}`;
}

/** The one place that decides how a live session is shown while it runs. */
export function presenter(mode: 'tui' | 'text' | 'json', color: boolean, verbose: boolean, windowMs?: number): Presenter {
  if (mode === 'tui') {
    // Loaded now, before the capture starts, so the UI hears of the very first journey.
    const tui = import('../render/tui/index.js');
    return async (session: TraceSession): Promise<Report> => (await tui).runTui(session, { color });
  }
  return async (session: TraceSession): Promise<Report> => {
    let unsubscribe = (): void => undefined;
    if (mode === 'text') {
      process.stderr.write(`hoptrace: capturing on ${session.hops.map((h) => h.name).join(', ')} (Ctrl-C to stop)\n`);
      if (verbose) for (const note of session.notes) process.stderr.write(`hoptrace: note: ${note}\n`);
      // Progress on stderr; stdout gets the report alone, so it can be piped or diffed.
      unsubscribe = streamFlowLines(session, (line) => process.stderr.write(line), colorEnabled(process.stderr), { windowMs });
    }
    try {
      return await session.report;
    } finally {
      unsubscribe();
    }
  };
}

/** `--pid`/`--netns` take the container's place: then the first positional is the second argument. */
function positionals(flags: TargetFlags, a: string | undefined, b: string | undefined, second: string): [TargetSpec, string | undefined] {
  const hostNetns = flags.hostNetns;
  if (flags.pid !== undefined && flags.netns !== undefined) throw usage('--pid and --netns cannot be combined');
  if (flags.pid !== undefined || flags.netns !== undefined) {
    if (b !== undefined) throw usage(`with --pid or --netns, give only the ${second}, not a container`);
    if (flags.netns !== undefined) return [{ kind: 'netns', ref: flags.netns, hostNetns }, a];
    const pid = Number(flags.pid);
    if (!Number.isInteger(pid) || pid <= 0) throw usage(`--pid must be a process id, not '${flags.pid}'`);
    return [{ kind: 'pid', pid, hostNetns }, a];
  }
  if (a === undefined) throw usage('missing container (name or id), or --pid/--netns');
  return [{ kind: 'docker', ref: a, hostNetns, dockerTimeoutMs: (flags.dockerTimeout ?? 10) * 1000 }, b];
}

function required(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw usage(`missing ${name}`);
  return value;
}

function usage(message: string): InputError {
  return new InputError(message);
}

export function parseHostPort(text: string): { host: string; port: number } {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || !Number.isInteger(port) || port < 1 || port > 65535) throw usage(`'${text}' is not host:port (e.g. 203.0.113.2:80)`);
  return { host: match[1]!, port };
}

/** An address as given, or the first address a host name resolves to (bad input when it does not). */
export async function resolveAddress(host: string): Promise<string> {
  if (isIP(host)) return host;
  try {
    // Loaded here: a replay, which registers this command too, never looks a name up.
    const { lookup } = await import('node:dns/promises');
    return (await lookup(host)).address;
  } catch {
    throw new InputError(`cannot resolve ${host}`);
  }
}

function commandLine(cmd: Command): string {
  return commandLineOf(process.argv, cmd.name());
}

/** The command as typed, for "run as root: sudo ..." and the trace's description. */
export function commandLineOf(argv: string[], name: string): string {
  return ['hoptrace', ...argv.slice(2)].join(' ').trim() || `hoptrace ${name}`;
}
