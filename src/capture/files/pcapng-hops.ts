// What a trace directory's path.json says, carried inside a pcapng that hoptrace wrote: the
// description in the section header, each hop's role, namespace, interface and addresses in
// its Interface Description Block, and when the captures stopped as isb_endtime. Written as
// fixed key=value comments (no registered Private Enterprise Number for custom options), and
// read back so that replaying the pcapng gives the report of the trace it came from. Packet
// comments are never read: the report is always recomputed from the packets.
import { fstatSync, openSync } from 'node:fs';
import { HOP_ROLES, type Hop, type HopRole } from '../../model.js';
import { FileWindow } from './file-window.js';
import { BYTE_ORDER_MAGIC, BlockType, MIN_BLOCK_LENGTH, Option } from './pcapng-blocks.js';

export const HOP_COMMENT_PREFIX = 'hoptrace-hop: ';
export const TRACE_COMMENT_PREFIX = 'hoptrace-trace: ';


/** Values keep their spaces, commas and equals signs out of the key=value syntax. */
function encode(value: string): string {
  return value.replace(/[%\s=,\u0000-\u001f\u007f]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function decode(value: string): string {
  return value.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function fields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(' ')) {
    const eq = part.indexOf('=');
    // Values stay encoded: a list is split on its commas before its items are decoded.
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

/** "hoptrace-hop: role=veth netns=host iface=veth6c968aa addrs=198.18.0.1/24" */
export function hopComment(hop: Hop): string {
  const parts = [`role=${encode(hop.role)}`];
  if (hop.netns !== undefined) parts.push(`netns=${encode(hop.netns)}`);
  if (hop.iface !== undefined) parts.push(`iface=${encode(hop.iface)}`);
  parts.push(`addrs=${hop.addrs.map(encode).join(',')}`);
  return HOP_COMMENT_PREFIX + parts.join(' ');
}

/** The description stays readable in Wireshark's capture properties: it is the comment's only field, the rest of the line. */
export function traceComment(description: string): string {
  return `${TRACE_COMMENT_PREFIX}description=${description.replace(/[\r\n]+/g, ' ')}`;
}

/** A person's reading of the same: "veth, netns host, interface veth6c968aa, 198.18.0.1/24". */
export function hopDescription(hop: Hop): string {
  const parts: string[] = [hop.role];
  if (hop.netns !== undefined) parts.push(`netns ${hop.netns}`);
  if (hop.iface !== undefined) parts.push(`interface ${hop.iface}`);
  if (hop.addrs.length > 0) parts.push(hop.addrs.join(' '));
  return parts.join(', ');
}

export interface HopDetails {
  role: HopRole;
  netns?: string;
  iface?: string;
  addrs: string[];
}

export interface HoptraceDescription {
  /** By if_name. */
  hops: Map<string, HopDetails>;
  description?: string;
  /** Seconds since the epoch, as path.json gives it. */
  stoppedAt?: number;
}

function parseHop(comment: string): HopDetails | undefined {
  const f = fields(comment.slice(HOP_COMMENT_PREFIX.length));
  const role = decode(f.get('role') ?? '') as HopRole;
  if (!(HOP_ROLES as readonly string[]).includes(role)) return undefined;
  const details: HopDetails = { role, addrs: (f.get('addrs') ?? '').split(',').filter((a) => a !== '').map(decode) };
  const netns = f.get('netns');
  const iface = f.get('iface');
  if (netns !== undefined) details.netns = decode(netns);
  if (iface !== undefined) details.iface = decode(iface);
  return details;
}

/** The options of a block whose options start at `from`, as [code, bytes] pairs. */
function* options(win: FileWindow, from: number, end: number): Generator<[number, Buffer]> {
  for (let p = from; p + 4 <= end; ) {
    const code = win.buf.readUInt16LE(p - win.start);
    const size = win.buf.readUInt16LE(p - win.start + 2);
    if (code === Option.END || p + 4 + size > end) return;
    yield [code, win.buf.subarray(p - win.start + 4, p - win.start + 4 + size)];
    p += 4 + ((size + 3) & ~3);
  }
}

interface Walk {
  found: HoptraceDescription;
  names: string[];
}

function readBlock(win: FileWindow, type: number, at: number, length: number, walk: Walk): void {
  const end = at + length - 4;
  if (type === BlockType.SECTION_HEADER) {
    for (const [code, value] of options(win, at + 24, end)) {
      const text = value.toString('utf8');
      if (code === Option.COMMENT && text.startsWith(TRACE_COMMENT_PREFIX)) {
        const rest = text.slice(TRACE_COMMENT_PREFIX.length);
        if (rest.startsWith('description=')) walk.found.description = rest.slice('description='.length);
      }
    }
  } else if (type === BlockType.INTERFACE_DESCRIPTION) {
    let name = '';
    let details: HopDetails | undefined;
    for (const [code, value] of options(win, at + 16, end)) {
      const text = value.toString('utf8');
      if (code === Option.IF_NAME) name = text.replace(/\0.*$/s, '');
      if (code === Option.COMMENT && text.startsWith(HOP_COMMENT_PREFIX)) details = parseHop(text);
    }
    walk.names.push(name);
    if (details && !walk.found.hops.has(name)) walk.found.hops.set(name, details);
  } else if (type === BlockType.INTERFACE_STATISTICS && length >= 24) {
    for (const [code, value] of options(win, at + 20, end)) {
      if (code !== Option.ISB_ENDTIME || value.length !== 8) continue;
      const ns = (BigInt(value.readUInt32LE(0)) << 32n) | BigInt(value.readUInt32LE(4));
      walk.found.stoppedAt = Number(ns) / 1e9;
    }
  }
}

/**
 * Reads the hoptrace comments of a pcapng file (little-endian, as hoptrace writes it), or
 * null when its interfaces carry none: then it is someone else's capture, taken as it is.
 */
export function readHoptraceDescription(file: string): HoptraceDescription | null {
  const fd = openSync(file, 'r');
  const win = new FileWindow(fd, fstatSync(fd).size);
  const walk: Walk = { found: { hops: new Map() }, names: [] };
  try {
    if (!win.ensure(0, 12) || win.buf.readUInt32LE(0) !== BlockType.SECTION_HEADER || win.buf.readUInt32LE(8) !== BYTE_ORDER_MAGIC) return null;
    for (let offset = 0; win.ensure(offset, 8); ) {
      const type = win.buf.readUInt32LE(offset - win.start);
      const length = win.buf.readUInt32LE(offset - win.start + 4);
      if (length < MIN_BLOCK_LENGTH || length % 4 !== 0) break;
      // Only the blocks that carry our comments are read whole; packets are stepped over.
      if (type !== BlockType.ENHANCED_PACKET) {
        if (!win.ensure(offset, length)) break;
        readBlock(win, type, offset, length, walk);
      }
      offset += length;
    }
  } finally {
    win.close();
  }
  return walk.found.hops.size > 0 ? walk.found : null;
}

/** The hops of a split pcapng, with what hoptrace wrote about them restored. */
export function withHoptraceDetails<T extends { hops: Hop[] }>(file: string, split: T): T & { description?: string; stoppedAt?: number } {
  let found: HoptraceDescription | null;
  try {
    found = readHoptraceDescription(file);
  } catch {
    found = null;
  }
  if (!found) return split;
  // A one-hop file is not split by interface and its hop is named after the file: the hop's own name is restored.
  const only = split.hops.length === 1 && found.hops.size === 1 ? [...found.hops][0] : undefined;
  const hops = split.hops.map((hop) => {
    if (only) return { ...hop, name: only[0], ...only[1] };
    const details = found.hops.get(hop.name);
    return details ? { ...hop, ...details } : hop;
  });
  const out: T & { description?: string; stoppedAt?: number } = { ...split, hops };
  if (found.description !== undefined) out.description = found.description;
  if (found.stoppedAt !== undefined) out.stoppedAt = found.stoppedAt;
  return out;
}
