import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Command, Option } from 'commander';
import { setExitCode } from '../cli.js';
import { ExitCode, FatalError } from '../errors.js';
import type { Report } from '../model.js';
import type { TraceSession } from '../session.js';
import { chooseOutput, colorEnabled, type OutputFlags } from '../render/output.js';
import { renderJson } from '../render/json.js';
import { renderText } from '../render/text.js';
import { streamFlowLines } from '../render/stream.js';
import { runLiveTrace, type LiveTraceRequest, type Presenter } from '../capture/live/liveTrace.js';
import { pingFrom, probeFrom } from '../capture/live/traffic.js';
import type { FlowSelector } from '../capture/live/bpf.js';
import type { TargetSpec } from '../discover/target.js';
import { resolveTarget } from '../discover/target.js';
import { discoverPath } from '../discover/path.js';
import { describePath, pathDocument } from '../discover/describe.js';
import { requireCaptureRights } from '../capture/live/privilege.js';

interface TargetFlags {
  pid?: string;
  netns?: string;
  hostNetns?: string;
  dockerTimeout?: number;
}

interface CaptureFlags extends TargetFlags, OutputFlags {
  record?: string;
  bufferMib: number;
  verbose?: boolean;
}

/** The live commands (ping, tcp, udp, watch, path): issue 3. */
export function registerLiveCommands(program: Command): void {
  registerPing(program);
  registerProbe(program, 'tcp');
  registerProbe(program, 'udp');
  registerWatch(program);
  registerPathCommand(program);
}

function registerPing(program: Command): void {
  captureCommand(program, 'ping', 'send ICMP echo from inside a container and follow it across every hop')
    .argument('[container]', 'container name or id (omit with --pid/--netns)')
    .argument('[destination]', 'address or host name to ping')
    .addOption(new Option('-c, --count <n>', 'echo requests to send').default(3).argParser(numberIn('--count', 1, 100_000)))
    .addOption(new Option('-i, --interval <seconds>', 'time between echo requests').default(0.5).argParser(numberIn('--interval', 0.01, 60)))
    .action(async (a: string | undefined, b: string | undefined, flags: CaptureFlags & { count: number; interval: number }, cmd: Command) => {
      const [target, destination] = positionals(flags, a, b, 'destination');
      const dest = await resolveAddress(required(destination, 'destination'));
      const request = baseRequest(cmd, target, dest, { proto: 'icmp', destination: dest }, flags);
      request.traffic = (ns) => pingFrom(ns, dest, flags.count, flags.interval);
      await finish(cmd, request, flags, true);
    });
}

function registerProbe(program: Command, proto: 'tcp' | 'udp'): void {
  const what = proto === 'tcp' ? 'open a TCP connection' : 'send one UDP datagram';
  captureCommand(program, proto, `${what} from inside a container and follow it across every hop`)
    .argument('[container]', 'container name or id (omit with --pid/--netns)')
    .argument('[host:port]', 'destination')
    .addOption(new Option('--timeout <seconds>', 'how long to wait for an answer').default(3).argParser(numberIn('--timeout', 0.1, 600)))
    .action(async (a: string | undefined, b: string | undefined, flags: CaptureFlags & { timeout: number }, cmd: Command) => {
      const [target, hostPort] = positionals(flags, a, b, 'host:port');
      const { host, port } = parseHostPort(required(hostPort, 'host:port'));
      const dest = await resolveAddress(host);
      const request = baseRequest(cmd, target, dest, { proto, destination: dest, port }, flags);
      request.traffic = (ns) => probeFrom(ns, { mode: proto, host: dest, port, timeoutMs: flags.timeout * 1000 });
      await finish(cmd, request, flags, true);
    });
}

function registerWatch(program: Command): void {
  captureCommand(program, 'watch', "capture a container's traffic on every hop until Ctrl-C")
    .argument('[container]', 'container name or id (omit with --pid/--netns)')
    .argument('[filter]', 'pcap filter (compiled by libpcap) to keep only the flow being debugged')
    .action(async (a: string | undefined, b: string | undefined, flags: CaptureFlags, cmd: Command) => {
      const [target, filter] = positionals(flags, a, b, 'filter');
      await finish(cmd, baseRequest(cmd, target, undefined, { proto: 'any', userFilter: filter }, flags), flags, false);
    });
}

function captureCommand(program: Command, name: string, description: string): Command {
  return targetOptions(program.command(name).description(description))
    .option('--record <dir>', 'also write a trace directory (path.json + one pcap per hop) for `hoptrace replay`')
    .option('--json', 'print one JSON document (see schema/report.schema.json)')
    .option('--text', 'print text even on a terminal')
    .option('--tui', 'show the live terminal UI (the default on a terminal)')
    .option('-v, --verbose', 'say how the path was found and what each hop captures')
    .addOption(
      new Option('--buffer-mib <MiB>', "libpcap's ring per hop: smaller rings lose packets in bursts (10 MiB lost them from ~40,000 packets/s on a veth)")
        .default(64)
        .argParser(numberIn('--buffer-mib', 1, 1024)),
    );
}

function targetOptions(command: Command): Command {
  return command
    .option('--pid <pid>', 'trace the network namespace of a process instead of a container')
    .option('--netns <name|path>', 'trace a network namespace (ip netns name or path) instead of a container')
    .option('--host-netns <name|path>', "the namespace holding the veth peers and bridge (default: dockerd's, else ours)")
    .addOption(new Option('--docker-timeout <seconds>', 'how long to wait for Docker to answer').default(10).argParser(numberIn('--docker-timeout', 0.1, 600)));
}

function registerPathCommand(program: Command): void {
  targetOptions(program.command('path').description('print the discovered path (interfaces, addresses, MTU, bridge, route, NAT rules) without capturing'))
    .argument('[container]', 'container name or id (omit with --pid/--netns)')
    .argument('[destination]', 'where the traffic goes (default: the default route)')
    .option('--json', 'print one JSON document')
    .action(async (a: string | undefined, b: string | undefined, flags: TargetFlags & { json?: boolean }, cmd: Command) => {
      requireCaptureRights(commandLine(cmd));
      const [target, destination] = positionals(flags, a, b, 'destination');
      const dest = destination ? await resolveAddress(destination) : undefined;
      const path = await discoverPath(await resolveTarget(target), dest);
      process.stdout.write(flags.json ? `${JSON.stringify(pathDocument(path), null, 2)}\n` : describePath(path));
      setExitCode(cmd, ExitCode.OK);
    });
}

function baseRequest(cmd: Command, target: TargetSpec, destination: string | undefined, selector: FlowSelector, flags: CaptureFlags): LiveTraceRequest {
  return {
    target,
    destination,
    selector,
    lingerMs: 1500,
    recordDir: flags.record,
    bufferBytes: Math.round(flags.bufferMib * 1024 * 1024),
    commandLine: commandLine(cmd),
    say: () => undefined,
  };
}

/** Runs the trace, shows it, prints the final report and sets the exit code. */
async function finish(cmd: Command, request: LiveTraceRequest, flags: CaptureFlags, needFlows: boolean): Promise<void> {
  const mode = chooseOutput(flags, Boolean(process.stdout.isTTY), true);
  const color = colorEnabled(process.stdout);
  const later: string[] = [];
  // Lines on stderr would tear the UI apart: keep them until it is gone.
  request.say = (line) => (mode === 'tui' ? later.push(line) : process.stderr.write(`hoptrace: ${line}\n`));
  const report = await runLiveTrace(request, presenter(mode, color, flags.verbose ?? false));
  for (const line of later) process.stderr.write(`hoptrace: ${line}\n`);
  process.stdout.write(mode === 'json' ? renderJson(report) : renderText(report, { color }));
  const allOk = report.flows.every((f) => f.verdict === 'ok') && (!needFlows || report.flows.length > 0);
  setExitCode(cmd, allOk ? ExitCode.OK : ExitCode.NOT_OK);
}

/** The one place that decides how a live session is shown while it runs. */
function presenter(mode: 'tui' | 'text' | 'json', color: boolean, verbose: boolean): Presenter {
  if (mode === 'tui') {
    return async (session: TraceSession): Promise<Report> => {
      const { runTui } = await import('../render/tui/index.js');
      return runTui(session, { color });
    };
  }
  return async (session: TraceSession): Promise<Report> => {
    let unsubscribe = (): void => undefined;
    if (mode === 'text') {
      process.stderr.write(`hoptrace: capturing on ${session.hops.map((h) => h.name).join(', ')} (Ctrl-C to stop)\n`);
      if (verbose) for (const note of session.notes) process.stderr.write(`hoptrace: note: ${note}\n`);
      // Progress on stderr; stdout gets the report alone, so it can be piped or diffed.
      unsubscribe = streamFlowLines(session.tracer, (line) => process.stderr.write(line), colorEnabled(process.stderr));
    }
    await session.done;
    const report = session.tracer.finish();
    unsubscribe();
    return report;
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

function usage(message: string): FatalError {
  return new FatalError(message, ExitCode.BAD_INPUT);
}

export function parseHostPort(text: string): { host: string; port: number } {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || !Number.isInteger(port) || port < 1 || port > 65535) throw usage(`'${text}' is not host:port (e.g. 203.0.113.2:80)`);
  return { host: match[1]!, port };
}

async function resolveAddress(host: string): Promise<string> {
  if (isIP(host)) return host;
  try {
    return (await lookup(host)).address;
  } catch {
    throw new FatalError(`cannot resolve ${host}`, ExitCode.BAD_INPUT);
  }
}

function numberIn(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw usage(`${name} must be a number from ${min} to ${max}, not '${value}'`);
    return n;
  };
}

function commandLine(cmd: Command): string {
  return ['hoptrace', ...process.argv.slice(2)].join(' ').trim() || `hoptrace ${cmd.name()}`;
}
