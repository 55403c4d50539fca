// The capture helper: one process per network namespace, started inside it
// (`nsenter --net=<ns> node helper.js '<json>'`). It opens libpcap there through `cap` on
// each of its hops' interfaces and streams what it sees on stdout (see wire.ts): each packet
// with the kernel's timestamp and length from libpcap's header (cap as patched by
// patches/cap+0.2.1.patch), and each hop's kernel counters every second and once more as it
// closes. It lives exactly as long as its parent wants it: stdin closed, SIGTERM or SIGINT ->
// drain, flush and exit (and SIGKILL with the parent: it is started with a parent-death signal).
// libpcap failures stay contained here: when an interface vanishes, cap's poll callback
// asserts and aborts this process, and the parent reports which interface is gone.
import { createRequire } from 'node:module';
import { encodeMessage, encodePacket, RecordType, type KernelCounters, type TimestampPrecision } from './wire.js';
import { interfaceRxDrops } from './ifaceDrops.js';
import { runProbe, type ProbeSpec } from './probe.js';

export interface CaptureTap {
  hop: number;
  iface: string;
  filter: string;
}

export interface CaptureSpec {
  mode: 'capture';
  taps: CaptureTap[];
  /** libpcap's ring per hop, in bytes (pcap_set_buffer_size). */
  ringBytes: number;
  /** Bytes kept of each packet (pcap_set_snaplen). */
  snaplen: number;
  /** How often each hop's kernel counters are sent. */
  statsEveryMs: number;
}

/** `cap` with patches/cap+0.2.1.patch applied: kernel timestamps, wire length, pcap_stats. */
interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer, snaplen: number): string;
  close(): void;
  stats?(): { received: number; dropped: number; ifDropped: number };
  precision?(): TimestampPrecision;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean, tsSec: number, tsNsec: number, origLen: number) => void): void;
}

const LINK_TYPES: Record<string, number> = { ETHERNET: 1, NULL: 0, RAW: 101, LINKTYPE_LINUX_SLL: 113 };

/** Packets still in the ring when asked to stop are read before the final counts: a few loop turns. */
const DRAIN_MS = 30;

/** One open hop: its handle and what it has counted. */
class OpenTap {
  captured = 0;

  constructor(
    readonly tap: CaptureTap,
    readonly cap: Required<CapHandle>,
    private readonly ifDropsAtOpen: number | undefined,
  ) {}

  counters(final: boolean): KernelCounters {
    const { received, dropped } = this.cap.stats();
    const ifDrops = interfaceRxDrops(this.tap.iface);
    const ifDropped = ifDrops === undefined || this.ifDropsAtOpen === undefined ? 0 : Math.max(0, ifDrops - this.ifDropsAtOpen);
    return { received, dropped, ifDropped, captured: this.captured, final };
  }
}

function startCapture(spec: CaptureSpec): void {
  const require = createRequire(import.meta.url);
  const { Cap } = require('cap') as { Cap: new () => CapHandle };
  const out = new OutputQueue();
  const opened: OpenTap[] = [];
  for (const tap of spec.taps) {
    const cap = new Cap();
    const buffer = Buffer.alloc(spec.snaplen);
    const ifDropsAtOpen = interfaceRxDrops(tap.iface);
    const failure = openTap(cap, tap, spec, buffer);
    if (typeof failure === 'string') {
      for (const other of opened) other.cap.close();
      out.now(encodeMessage(RecordType.PROBLEM, tap.hop, failure), () => process.exit(1));
      return;
    }
    const open = new OpenTap(tap, cap as Required<CapHandle>, ifDropsAtOpen);
    opened.push(open);
    cap.on('packet', (nbytes, _truncated, tsSec, tsNsec, origLen) => {
      open.captured++;
      out.add(encodePacket(tap.hop, tsSec, tsNsec, origLen, buffer.subarray(0, nbytes)));
    });
    out.now(encodeMessage(RecordType.READY, tap.hop, JSON.stringify({ linkType: failure, iface: tap.iface, precision: cap.precision!() })));
  }
  const sendCounters = (final: boolean): void => {
    for (const open of opened) out.add(encodeMessage(RecordType.STATS, open.tap.hop, JSON.stringify(open.counters(final))));
  };
  const ticker = setInterval(() => sendCounters(false), spec.statsEveryMs);
  stopOnParentSignals(() => {
    clearInterval(ticker);
    setTimeout(() => {
      sendCounters(true);
      for (const open of opened) open.cap.close();
      out.now(Buffer.alloc(0), () => process.exit(0));
    }, DRAIN_MS);
  });
}

/** Opens one interface; returns its link type, or what went wrong as text. */
function openTap(cap: CapHandle, tap: CaptureTap, spec: CaptureSpec, buffer: Buffer): number | string {
  if (typeof cap.stats !== 'function' || typeof cap.precision !== 'function') {
    return `${tap.iface}: the cap module is not patched (patches/cap+0.2.1.patch gives kernel timestamps and drop counters): run npm install`;
  }
  let linkName: string;
  try {
    linkName = cap.open(tap.iface, tap.filter, spec.ringBytes, buffer, spec.snaplen);
  } catch (error) {
    return `${tap.iface}: ${(error as Error).message}`;
  }
  const linkType = LINK_TYPES[linkName];
  if (linkType === undefined) {
    cap.close();
    return `${tap.iface}: unsupported link type ${linkName}`;
  }
  return linkType;
}

/** Packets are batched into one write per event-loop turn: one syscall for many frames. */
class OutputQueue {
  private batch: Buffer[] = [];
  private scheduled = false;

  add(record: Buffer): void {
    this.batch.push(record);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  now(record: Buffer, done?: () => void): void {
    this.batch.push(record);
    this.flush(done);
  }

  private flush(done?: () => void): void {
    this.scheduled = false;
    const data = this.batch.length === 1 ? this.batch[0]! : Buffer.concat(this.batch);
    this.batch = [];
    process.stdout.write(data, () => done?.());
  }
}

function stopOnParentSignals(stop: () => void): void {
  let stopping = false;
  const once = (): void => {
    if (stopping) return;
    stopping = true;
    stop();
  };
  process.on('SIGTERM', once);
  process.on('SIGINT', once);
  process.stdin.on('end', once);
  process.stdin.on('close', once);
  process.stdin.on('error', once);
  process.stdin.resume();
  // The parent went away and nobody reads our output: nothing left to do.
  process.stdout.on('error', () => process.exit(0));
}

function main(): void {
  const spec = JSON.parse(process.argv[2] ?? '{}') as CaptureSpec | ProbeSpec;
  if (spec.mode === 'capture') startCapture(spec);
  else void runProbe(spec).then(() => process.exit(0));
}

main();
