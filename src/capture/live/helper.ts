// The capture helper: one process per network namespace, started inside it
// (`nsenter --net=<ns> node helper.js ['<json>']`; without the argument, the JSON spec comes as
// the first line on stdin, so that a live trace can start the helper, and node and libpcap
// load, while it still discovers the path). It opens libpcap there through `cap` on
// each of its hops' interfaces and streams what it sees on stdout (see wire.ts): each packet
// with the kernel's timestamp and length from libpcap's header (cap as patched by
// patches/cap+0.2.1.patch), and each hop's kernel counters every second and once more as it
// closes. It lives exactly as long as its parent wants it: stdin closed, SIGTERM or SIGINT ->
// drain, flush and exit (and SIGKILL with the parent: it is started with a parent-death signal).
// libpcap failures stay contained here: when an interface vanishes, cap's poll callback
// asserts and aborts this process, and the parent reports which interface is gone.
import { createRequire } from 'node:module';
import { encodeMessage, packetRecordLength, RecordType, writePacket, type KernelCounters, type TimestampPrecision } from './wire.js';
import { interfaceRxDrops } from './iface-drops.js';
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
  /** Bytes waiting for the parent before the rings are no longer read (default STREAM_HIGH_WATER). */
  backlogBytes?: number;
}

/** `cap` with patches/cap+0.2.1.patch applied: kernel timestamps, wire length, pcap_stats. */
interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer, snaplen: number): string;
  close(): void;
  stats?(): { received: number; dropped: number; ifDropped: number };
  precision?(): TimestampPrecision;
  pause?(): void;
  resume?(): void;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean, tsSec: number, tsNsec: number, origLen: number) => void): void;
}

const LINK_TYPES: Record<string, number> = { ETHERNET: 1, NULL: 0, RAW: 101, LINKTYPE_LINUX_SLL: 113 };

/** One write per event-loop turn at most this big (a record is at most a snaplen and its header). */
const ARENA_BYTES = 256 * 1024;

/**
 * Bytes waiting for the parent to read before the helper stops reading the rings. A parent
 * slower than the capture then leaves packets in the kernel, which counts what it has no room
 * for, instead of this process holding the whole stream in memory.
 */
const STREAM_HIGH_WATER = 128 * 1024 * 1024;

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

function loadCap(): new () => CapHandle {
  return (createRequire(import.meta.url)('cap') as { Cap: new () => CapHandle }).Cap;
}

function startCapture(spec: CaptureSpec): void {
  const Cap = loadCap();
  const opened: OpenTap[] = [];
  const out = new OutputQueue(
    spec.backlogBytes ?? STREAM_HIGH_WATER,
    () => opened.forEach((o) => o.cap.pause()),
    () => opened.forEach((o) => o.cap.resume()),
  );
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
      out.packet(tap.hop, tsSec, tsNsec, origLen, buffer.subarray(0, nbytes));
    });
    out.now(encodeMessage(RecordType.READY, tap.hop, JSON.stringify({ linkType: failure, iface: tap.iface, precision: cap.precision!() })));
  }
  const sendCounters = (final: boolean): void => {
    for (const open of opened) out.add(encodeMessage(RecordType.STATS, open.tap.hop, JSON.stringify(open.counters(final))));
  };
  const ticker = setInterval(() => sendCounters(false), spec.statsEveryMs);
  stopOnParentSignals(() => {
    clearInterval(ticker);
    // What is still in the rings is read before the final counts, even if the parent is slow.
    out.unpause();
    setTimeout(() => {
      sendCounters(true);
      for (const open of opened) open.cap.close();
      out.now(Buffer.alloc(0), () => process.exit(0));
    }, DRAIN_MS);
  });
}

/** Opens one interface; returns its link type, or what went wrong as text. */
function openTap(cap: CapHandle, tap: CaptureTap, spec: CaptureSpec, buffer: Buffer): number | string {
  if (typeof cap.stats !== 'function' || typeof cap.precision !== 'function' || typeof cap.pause !== 'function') {
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

/**
 * Records are copied into one buffer per event-loop turn and written with one syscall: no
 * buffer per packet, no concatenation. A full buffer is written at once and a new one begun.
 */
class OutputQueue {
  private arena = Buffer.allocUnsafeSlow(ARENA_BYTES);
  private used = 0;
  private scheduled = false;
  private paused = false;

  constructor(
    private readonly highWater: number,
    private readonly pause: () => void,
    private readonly resume: () => void,
  ) {}

  /** Reads the rings again whatever the parent's backlog. */
  unpause(): void {
    if (!this.paused) return;
    this.paused = false;
    this.resume();
  }

  packet(hop: number, tsSec: number, tsNsec: number, origLen: number, data: Uint8Array): void {
    if (this.used + packetRecordLength(data.length) > this.arena.length) this.flush();
    this.used = writePacket(this.arena, this.used, hop, tsSec, tsNsec, origLen, data);
    this.schedule();
  }

  add(record: Buffer): void {
    if (record.length > ARENA_BYTES) throw new Error(`helper stream: a record of ${record.length} bytes`);
    if (this.used + record.length > this.arena.length) this.flush();
    record.copy(this.arena, this.used);
    this.used += record.length;
    this.schedule();
  }

  now(record: Buffer, done?: () => void): void {
    this.add(record);
    this.flush(done);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(done?: () => void): void {
    if (this.used === 0 && !done) return;
    const data = this.arena.subarray(0, this.used);
    // A new arena: the stream may still hold the old one until the write completes.
    this.arena = Buffer.allocUnsafeSlow(ARENA_BYTES);
    this.used = 0;
    process.stdout.write(data, () => done?.());
    if (this.paused || process.stdout.writableLength <= this.highWater) return;
    this.paused = true;
    this.pause();
    process.stdout.once('drain', () => this.unpause());
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

function run(spec: CaptureSpec | ProbeSpec): void {
  if (spec.mode === 'capture') startCapture(spec);
  else void runProbe(spec).then(() => process.exit(0));
}

/** The spec as the first line on stdin; stdin closed before it came: nothing was wanted. */
function specFromStdin(then: (spec: CaptureSpec) => void): void {
  let text = '';
  const onData = (chunk: Buffer): void => {
    text += chunk.toString();
    const end = text.indexOf('\n');
    if (end < 0) return;
    process.stdin.off('data', onData);
    process.stdin.off('end', unwanted);
    then(JSON.parse(text.slice(0, end)) as CaptureSpec);
  };
  const unwanted = (): void => process.exit(0);
  process.stdin.on('data', onData);
  process.stdin.on('end', unwanted);
}

function main(): void {
  if (process.argv[2] !== undefined) return run(JSON.parse(process.argv[2]) as CaptureSpec | ProbeSpec);
  // Loaded while the parent is still finding the path: its taps are all that is missing.
  loadCap();
  specFromStdin(run);
}

main();
