// The capture helper: one process per network namespace, started inside it
// (`nsenter --net=<ns> node helper.js '<json>'`). It opens libpcap there through `cap` on
// each of its hops' interfaces and streams what it sees on stdout (see wire.ts). It lives
// exactly as long as its parent wants it: stdin closed, SIGTERM or SIGINT -> flush and exit.
// One process for all hops of a namespace: one clock, and libuv hands over the sockets that
// became readable in the order the kernel made them so, which is the packet's path order.
// libpcap failures stay contained here: when an interface vanishes, cap's poll callback
// asserts and aborts this process, and the parent reports which interface is gone.
import { createRequire } from 'node:module';
import { encodeMessage, encodePacket, RecordType } from './wire.js';
import { runProbe, type ProbeSpec } from './probe.js';

export interface CaptureTap {
  hop: number;
  iface: string;
  filter: string;
}

export interface CaptureSpec {
  mode: 'capture';
  taps: CaptureTap[];
  bufferBytes: number;
  /** Wall-clock nanoseconds minus monotonic nanoseconds, measured once by the parent, as a string. */
  anchorNs: string;
}

interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): void;
}

const LINK_TYPES: Record<string, number> = { ETHERNET: 1, NULL: 0, RAW: 101, LINKTYPE_LINUX_SLL: 113 };

function startCapture(spec: CaptureSpec): void {
  const require = createRequire(import.meta.url);
  const { Cap } = require('cap') as { Cap: new () => CapHandle };
  const out = new OutputQueue();
  const anchor = BigInt(spec.anchorNs);
  const opened: CapHandle[] = [];
  for (const tap of spec.taps) {
    const cap = new Cap();
    const buffer = Buffer.alloc(65535);
    const failure = openTap(cap, tap, spec.bufferBytes, buffer);
    if (typeof failure === 'string') {
      for (const other of opened) other.close();
      out.now(encodeMessage(RecordType.PROBLEM, tap.hop, failure), () => process.exit(1));
      return;
    }
    opened.push(cap);
    cap.on('packet', (nbytes) => {
      // cap hands over no kernel timestamp: this is the arrival time in this process.
      const ns = anchor + process.hrtime.bigint();
      out.add(encodePacket(tap.hop, Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n), nbytes, buffer.subarray(0, nbytes)));
    });
    out.now(encodeMessage(RecordType.READY, tap.hop, JSON.stringify({ linkType: failure, iface: tap.iface })));
  }
  stopOnParentSignals(() => {
    for (const cap of opened) cap.close();
    out.now(Buffer.alloc(0), () => process.exit(0));
  });
}

/** Opens one interface; returns its link type, or what went wrong as text. */
function openTap(cap: CapHandle, tap: CaptureTap, bufferBytes: number, buffer: Buffer): number | string {
  let linkName: string;
  try {
    linkName = cap.open(tap.iface, tap.filter, bufferBytes, buffer);
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
