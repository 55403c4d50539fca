// Runs inside the helper container on a remote node (privileged, host network and pid
// namespaces): starts one local capture helper (../live/helper.js) per network namespace of
// its taps, through nsenter, and merges their record streams onto its stdout, which Docker
// carries back over the container's attached output. It ends when its stdin closes (the
// client stopped, or its connection died), on SIGTERM/SIGINT, or when every helper has ended.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { encodeMessage, encodePacket, RecordType, WireReader, type WireRecord } from '../live/wire.js';
import type { CaptureSpec } from '../live/helper.js';
import { CAPTURE_SNAPLEN, RING_PACKETS, ringBytes } from '../live/netns-capture.js';
import type { HelperOptions, RemoteTap } from './transport.js';

export const AGENT_SCRIPT = 'dist/capture/remote/agent.js';
const HELPER = fileURLToPath(new URL('../live/helper.js', import.meta.url));

/** Taps grouped by the namespace they are in ('' = the node's own). */
export function tapsByNetns(taps: RemoteTap[]): Map<string, RemoteTap[]> {
  const groups = new Map<string, RemoteTap[]>();
  for (const tap of taps) groups.set(tap.netns ?? '', [...(groups.get(tap.netns ?? '') ?? []), tap]);
  return groups;
}

/** A record as it goes back on the wire; a corrupt stream becomes a problem on that helper's first hop. */
export function reencode(record: WireRecord, firstHop: number): Buffer {
  switch (record.type) {
    case 'packet': return encodePacket(record.hop, record.tsSec, record.tsNsec, record.origLen, record.data);
    case 'ready': return encodeMessage(RecordType.READY, record.hop, JSON.stringify({ linkType: record.linkType, iface: record.iface, precision: record.precision }));
    case 'stats': return encodeMessage(RecordType.STATS, record.hop, JSON.stringify(record.counters));
    case 'problem': return encodeMessage(RecordType.PROBLEM, record.hop, record.message);
    case 'corrupt': return encodeMessage(RecordType.PROBLEM, firstHop, record.message);
  }
}

function startHelper(netns: string, taps: RemoteTap[], spec: Omit<CaptureSpec, 'taps'>, write: (b: Buffer) => void): ChildProcess {
  const captureSpec: CaptureSpec = { ...spec, taps: taps.map(({ hop, iface, filter }) => ({ hop, iface, filter })) };
  const argv = [process.execPath, HELPER, JSON.stringify(captureSpec)];
  const child = netns === '' ? spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn('nsenter', [`--net=${netns}`, '--', ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
  const reader = new WireReader();
  const firstHop = taps[0]!.hop;
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    for (const record of reader.push(chunk)) write(reencode(record, firstHop));
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-400)));
  child.on('close', (code, signal) => {
    if (code === 0) return;
    const why = signal ? `signal ${signal}` : `exit ${code}`;
    const tail = stderr.trim().split('\n').pop() ?? '';
    write(encodeMessage(RecordType.PROBLEM, firstHop, `capture in ${netns || 'the host namespace'} ended (${why})${tail ? `: ${tail}` : ''}`));
  });
  return child;
}

/** A batch of short commands (discovery's ip/bridge/iptables-save), each in its namespace. */
export interface CommandBatch {
  commands: { netns?: string; cmd: string; args: string[] }[];
}

/** Runs the batch and prints one JSON array of { stdout, stderr, code }. */
async function runCommands(batch: CommandBatch): Promise<void> {
  const results = await Promise.all(batch.commands.map((c) => new Promise<{ stdout: string; stderr: string; code: number }>((resolve) => {
    const [file, argv] = c.netns ? ['nsenter', [`--net=${c.netns}`, '--', c.cmd, ...c.args]] : [c.cmd, c.args];
    execFile(file, argv, { timeout: 10_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 127) : 0;
      resolve({ stdout, stderr: error && typeof error.code !== 'number' ? `${error.message}\n${stderr}` : stderr, code });
    });
  })));
  process.stdout.write(JSON.stringify(results), () => process.exit(0));
}

function main(): void {
  const spec = JSON.parse(process.argv[2] ?? '{}') as HelperOptions | CommandBatch;
  if ('commands' in spec) {
    void runCommands(spec);
    return;
  }
  startCaptures(spec);
}

function startCaptures(options: HelperOptions): void {
  // Every helper's packets carry the kernel's timestamps: the node's one real-time clock.
  const spec = { mode: 'capture', ringBytes: ringBytes(options.ringPackets ?? RING_PACKETS), snaplen: CAPTURE_SNAPLEN, statsEveryMs: 1000 } as const;
  const write = (b: Buffer): void => void process.stdout.write(b);
  const children = [...tapsByNetns(options.taps)].map(([netns, taps]) => startHelper(netns, taps, spec, write));
  let open = children.length;
  const finish = (): void => void process.stdout.write(Buffer.alloc(0), () => process.exit(0));
  for (const child of children) child.on('close', () => --open === 0 && finish());
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    for (const child of children) child.stdin!.end();
    // A helper that does not flush within 3 s is killed; its hops end where they are.
    setTimeout(() => children.forEach((c) => c.kill('SIGKILL')), 3000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
  process.stdout.on('error', () => stop());
  if (options.heartbeatMs) stopWhenClientSilent(options.silenceMs ?? options.heartbeatMs * 10, stop);
}

/** A client cut off by the network sends no EOF: its heartbeats stop, and so do we. */
function stopWhenClientSilent(silenceMs: number, stop: () => void): void {
  let heard = Date.now();
  process.stdin.on('data', () => (heard = Date.now()));
  const timer = setInterval(() => {
    if (Date.now() - heard < silenceMs) return;
    clearInterval(timer);
    process.stderr.write(`hoptrace agent: no heartbeat from the client for ${silenceMs / 1000} s: stopping\n`);
    stop();
  }, Math.min(1000, silenceMs));
  timer.unref();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
