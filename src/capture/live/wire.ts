// The stream a capture helper writes on its stdout: length-prefixed little-endian records,
//   u32 bodyLength | u8 type | u16 hop | body
// packet body: u32 tsSec | u32 tsNsec | u32 origLen | u32 capLen | capLen bytes
// ready body:  utf8 JSON { linkType, iface, precision }      problem body: utf8 message
// stats body:  utf8 JSON KernelCounters (libpcap's pcap_stats and the interface's own drops)
// Plain bytes over a pipe, so the same helper could run on another host behind ssh.

export const RecordType = { PACKET: 1, READY: 2, PROBLEM: 3, STATS: 4 } as const;

/** The precision of the kernel timestamps libpcap hands over for one hop. */
export type TimestampPrecision = 'nano' | 'micro';

/** What the kernel counted for one hop's capture since it opened. */
export interface KernelCounters {
  /** Packets the hop's filter accepted (libpcap ps_recv; on Linux it includes `dropped`). */
  received: number;
  /** Accepted packets lost because libpcap's ring was full (ps_drop). */
  dropped: number;
  /** Packets the interface itself dropped on receive since the capture opened (rx drop + fifo of /proc/net/dev). */
  ifDropped: number;
  /** Frames the helper read from the ring and sent on. */
  captured: number;
  /** True for the counts taken as the capture closed: they no longer change. */
  final: boolean;
}

const HEAD = 4 + 1 + 2;
const PACKET_HEAD = 16;
/** A snaplen of 65535 plus headers; anything longer means the stream lost its framing. */
const MAX_BODY = 70_000;

export type WireRecord =
  | { type: 'packet'; hop: number; tsSec: number; tsNsec: number; origLen: number; data: Uint8Array }
  | { type: 'ready'; hop: number; linkType: number; iface: string; precision: TimestampPrecision }
  | { type: 'stats'; hop: number; counters: KernelCounters }
  | { type: 'problem'; hop: number; message: string }
  | { type: 'corrupt'; message: string };

/** Bytes a packet record of `capLen` captured bytes takes on the stream. */
export function packetRecordLength(capLen: number): number {
  return HEAD + PACKET_HEAD + capLen;
}

/** Writes a packet record into `out` at `offset` (room checked by the caller); returns the offset after it. */
export function writePacket(out: Buffer, offset: number, hop: number, tsSec: number, tsNsec: number, origLen: number, data: Uint8Array): number {
  out.writeUInt32LE(1 + 2 + PACKET_HEAD + data.length, offset);
  out.writeUInt8(RecordType.PACKET, offset + 4);
  out.writeUInt16LE(hop, offset + 5);
  out.writeUInt32LE(tsSec, offset + 7);
  out.writeUInt32LE(tsNsec, offset + 11);
  out.writeUInt32LE(origLen, offset + 15);
  out.writeUInt32LE(data.length, offset + 19);
  out.set(data, offset + HEAD + PACKET_HEAD);
  return offset + HEAD + PACKET_HEAD + data.length;
}

export function encodePacket(hop: number, tsSec: number, tsNsec: number, origLen: number, data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(packetRecordLength(data.length));
  writePacket(out, 0, hop, tsSec, tsNsec, origLen, data);
  return out;
}

export function encodeMessage(type: typeof RecordType.READY | typeof RecordType.PROBLEM | typeof RecordType.STATS, hop: number, text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const out = Buffer.allocUnsafe(HEAD + body.length);
  out.writeUInt32LE(1 + 2 + body.length, 0);
  out.writeUInt8(type, 4);
  out.writeUInt16LE(hop, 5);
  body.copy(out, HEAD);
  return out;
}

/** Bytes are pushed in as the pipe delivers them; whole records are pulled out. */
export class WireReader {
  private pending: Buffer = Buffer.alloc(0);
  private broken = false;

  push(chunk: Buffer): WireRecord[] {
    if (this.broken) return [];
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const records: WireRecord[] = [];
    let offset = 0;
    while (this.pending.length - offset >= 4) {
      const bodyLength = this.pending.readUInt32LE(offset);
      if (bodyLength < 3 || bodyLength > MAX_BODY) {
        this.broken = true;
        records.push({ type: 'corrupt', message: `helper stream: record length ${bodyLength} at offset ${offset} is impossible` });
        break;
      }
      if (this.pending.length - offset < 4 + bodyLength) break;
      records.push(parseRecord(this.pending.subarray(offset + 4, offset + 4 + bodyLength)));
      offset += 4 + bodyLength;
    }
    this.pending = this.pending.subarray(offset);
    return records;
  }

  /** Bytes left over when the stream ended: a helper killed mid-write. */
  get leftover(): number {
    return this.pending.length;
  }
}

function parseRecord(body: Buffer): WireRecord {
  const type = body.readUInt8(0);
  const hop = body.readUInt16LE(1);
  if (type === RecordType.PACKET) return parsePacket(hop, body.subarray(3));
  const text = body.subarray(3).toString('utf8');
  if (type === RecordType.PROBLEM) return { type: 'problem', hop, message: text };
  if (type === RecordType.READY) return parseReady(hop, text);
  if (type === RecordType.STATS) return parseStats(hop, text);
  return { type: 'corrupt', message: `helper stream: unknown record type ${type}` };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function parseReady(hop: number, text: string): WireRecord {
  const ready = parseJson(text);
  if (!ready || typeof ready.linkType !== 'number' || typeof ready.iface !== 'string' || (ready.precision !== 'nano' && ready.precision !== 'micro')) {
    return { type: 'corrupt', message: `helper stream: unreadable ready record ${JSON.stringify(text.slice(0, 80))}` };
  }
  return { type: 'ready', hop, linkType: ready.linkType, iface: ready.iface, precision: ready.precision };
}

const COUNTER_NAMES = ['received', 'dropped', 'ifDropped', 'captured'] as const;

function parseStats(hop: number, text: string): WireRecord {
  const stats = parseJson(text);
  if (!stats || !COUNTER_NAMES.every((name) => Number.isSafeInteger(stats[name]) && (stats[name] as number) >= 0) || typeof stats.final !== 'boolean') {
    return { type: 'corrupt', message: `helper stream: unreadable stats record ${JSON.stringify(text.slice(0, 80))}` };
  }
  const n = stats as unknown as KernelCounters;
  return { type: 'stats', hop, counters: { received: n.received, dropped: n.dropped, ifDropped: n.ifDropped, captured: n.captured, final: n.final } };
}

function parsePacket(hop: number, body: Buffer): WireRecord {
  if (body.length < PACKET_HEAD) return { type: 'corrupt', message: `helper stream: packet record of ${body.length} bytes` };
  const capLen = body.readUInt32LE(12);
  if (capLen !== body.length - PACKET_HEAD) {
    return { type: 'corrupt', message: `helper stream: packet says ${capLen} bytes, record holds ${body.length - PACKET_HEAD}` };
  }
  return {
    type: 'packet',
    hop,
    tsSec: body.readUInt32LE(0),
    tsNsec: body.readUInt32LE(4),
    origLen: body.readUInt32LE(8),
    // A copy: the pending buffer is reused for the next chunk.
    data: new Uint8Array(body.subarray(PACKET_HEAD)),
  };
}
