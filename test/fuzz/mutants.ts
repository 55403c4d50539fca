// Seeded mutants of capture files for the replay fuzz test: bit flips, bytes set, cuts,
// length fields set to extremes, block types swapped, records reordered, magic byte order
// flipped, and pieces of other files spliced in. The same seed gives the same mutants.

/** mulberry32: small, fast, and the same sequence everywhere for a seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The length fields of a file and where its records or blocks start, found by walking it. */
export interface Layout {
  kind: 'pcap' | 'pcapng' | 'other';
  le: boolean;
  /** Offsets of 32-bit length fields (pcap caplen and snaplen, pcapng block lengths). */
  lengths: number[];
  /** Offsets of record or block starts. */
  starts: number[];
  /** Offsets of 32-bit block type fields (pcapng) or the link-type field (pcap). */
  types: number[];
}

export function layoutOf(bytes: Buffer): Layout {
  if (bytes.length < 24) return { kind: 'other', le: true, lengths: [], starts: [], types: [] };
  const magicLe = bytes.readUInt32LE(0);
  const magicBe = bytes.readUInt32BE(0);
  if (magicBe === 0x0a0d0d0a) return pcapngLayout(bytes);
  const pcapMagics = [0xa1b2c3d4, 0xa1b23c4d];
  if (!pcapMagics.includes(magicLe) && !pcapMagics.includes(magicBe)) return { kind: 'other', le: true, lengths: [], starts: [], types: [] };
  const le = pcapMagics.includes(magicLe);
  const layout: Layout = { kind: 'pcap', le, lengths: [16], starts: [], types: [20] };
  for (let at = 24; at + 16 <= bytes.length && layout.starts.length < 10_000; ) {
    layout.starts.push(at);
    layout.lengths.push(at + 8, at + 12);
    at += 16 + (le ? bytes.readUInt32LE(at + 8) : bytes.readUInt32BE(at + 8));
  }
  return layout;
}

function pcapngLayout(bytes: Buffer): Layout {
  const layout: Layout = { kind: 'pcapng', le: true, lengths: [], starts: [], types: [] };
  let le = true;
  for (let at = 0; at + 12 <= bytes.length && layout.starts.length < 10_000; ) {
    if (bytes.readUInt32BE(at) === 0x0a0d0d0a) le = bytes.readUInt32LE(at + 8) === 0x1a2b3c4d;
    const length = le ? bytes.readUInt32LE(at + 4) : bytes.readUInt32BE(at + 4);
    if (length < 12 || at + length > bytes.length) break;
    layout.starts.push(at);
    layout.types.push(at);
    layout.lengths.push(at + 4, at + length - 4);
    const type = le ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at);
    if (type === 6 || type === 2) layout.lengths.push(at + 20, at + 24); // captured and original length
    if (type === 3) layout.lengths.push(at + 8);
    at += length;
  }
  layout.le = le;
  return layout;
}

const EXTREMES = [0, 1, 3, 4, 11, 12, 15, 16, 27, 28, 32, 0xffff, 0x10000, 262144, 262145, 0x7fffffff, 0x80000000, 0xfffffff0, 0xfffffffc, 0xffffffff];
const BLOCK_TYPES = [0x0a0d0d0a, 1, 2, 3, 4, 5, 6, 0xbad, 0x80000001, 0];
const LINK_TYPES = [0, 1, 101, 113, 276, 160, 0xffff, 0x03ff0001, 0x04000001];

export interface Mutant {
  bytes: Buffer;
  /** What was done, for the failure message. */
  how: string;
}

type Mutation = (bytes: Buffer, layout: Layout, next: () => number, other: Buffer) => string;

const pick = <T>(next: () => number, list: readonly T[]): T => list[Math.floor(next() * list.length)];
const u32 = (bytes: Buffer, at: number, value: number, le: boolean): void => {
  if (at + 4 > bytes.length) return;
  if (le) bytes.writeUInt32LE(value >>> 0, at);
  else bytes.writeUInt32BE(value >>> 0, at);
};

const MUTATIONS: Record<string, Mutation> = {
  'bit flips': (b, _, next) => {
    const n = 1 + Math.floor(next() * 8);
    for (let i = 0; i < n; i++) b[Math.floor(next() * b.length)] ^= 1 << Math.floor(next() * 8);
    return `${n} bits`;
  },
  'bytes set': (b, _, next) => {
    const at = Math.floor(next() * b.length);
    const n = 1 + Math.floor(next() * 4);
    for (let i = 0; i < n && at + i < b.length; i++) b[at + i] = pick(next, [0, 0xff, 0x7f, 0x80, Math.floor(next() * 256)]);
    return `${n} at ${at}`;
  },
  'length extreme': (b, layout, next) => {
    if (layout.lengths.length === 0) return 'none';
    const at = pick(next, layout.lengths);
    const value = pick(next, [...EXTREMES, b.length, b.length - at]);
    u32(b, at, value, layout.le);
    return `${value} at ${at}`;
  },
  'type swapped': (b, layout, next) => {
    if (layout.types.length === 0) return 'none';
    const at = pick(next, layout.types);
    const value = layout.kind === 'pcap' ? pick(next, LINK_TYPES) : pick(next, BLOCK_TYPES);
    u32(b, at, value, layout.le);
    return `${value} at ${at}`;
  },
  'records swapped': (b, layout, next) => {
    const starts = layout.starts;
    if (starts.length < 3) return 'none';
    const i = Math.floor(next() * (starts.length - 2));
    const [a, m, e] = [starts[i], starts[i + 1], starts[i + 2]];
    Buffer.concat([b.subarray(m, e), b.subarray(a, m)]).copy(b, a);
    return `at ${a}`;
  },
  'byte order flipped': (b) => {
    if (b.length >= 4) b.writeUInt32LE(b.readUInt32BE(0), 0);
    return 'magic';
  },
};

/** Mutations that change the length: a cut, or a piece of another file spliced in. */
function resized(bytes: Buffer, next: () => number, other: Buffer): Mutant {
  if (next() < 0.6) {
    const at = Math.floor(next() * bytes.length);
    return { bytes: bytes.subarray(0, at), how: `cut at ${at}` };
  }
  const at = Math.floor(next() * bytes.length);
  const from = Math.floor(next() * other.length);
  const piece = other.subarray(from, from + 1 + Math.floor(next() * 200));
  return { bytes: Buffer.concat([bytes.subarray(0, at), piece, bytes.subarray(at)]), how: `${piece.length} bytes spliced at ${at}` };
}

/** One mutant of `original`, fully decided by next(). */
export function mutate(original: Buffer, layout: Layout, next: () => number, other: Buffer): Mutant {
  if (next() < 0.2) return resized(original, next, other);
  const bytes = Buffer.from(original);
  const names = Object.keys(MUTATIONS);
  const steps: string[] = [];
  const count = 1 + Math.floor(next() * 3);
  for (let i = 0; i < count; i++) {
    const name = pick(next, names);
    steps.push(`${name} (${MUTATIONS[name](bytes, layout, next, other)})`);
  }
  return { bytes, how: steps.join(', ') };
}

const HOSTILE_VALUES: unknown[] = [
  1e300, -1, 0, 2 ** 32, 0.5, NaN, '', 'x'.repeat(5000), 'a\nb', '\u001b[2J', '../../../../etc/passwd', '/etc/passwd', '.', 'path.json',
  '01-c1-eth0.pcap', null, true, [], {}, ['198.18.0.1/33'], ['999.1.1.1'], ['198.18.0.1', 7], 'veth', 'tunnel',
];
const HOP_FIELDS = ['file', 'name', 'role', 'netns', 'iface', 'addrs', 'mtu'];

/**
 * A mutant of a path.json: a field of the document or of one hop set to a hostile value,
 * a field deleted, or the hops repeated past the hop limit; or, sometimes, its text damaged.
 */
export function mutatePathJson(original: Buffer, next: () => number, other: Buffer): Mutant {
  if (next() < 0.25) return mutate(original, { kind: 'other', le: true, lengths: [], starts: [], types: [] }, next, other);
  const doc = JSON.parse(original.toString('utf8')) as { hops: Record<string, unknown>[]; [k: string]: unknown };
  const value = pick(next, HOSTILE_VALUES);
  const choice = Math.floor(next() * 4);
  let how: string;
  if (choice === 0) {
    const field = pick(next, ['stoppedAt', 'description', 'hops']);
    doc[field] = value;
    how = `${field} = ${JSON.stringify(value)?.slice(0, 40)}`;
  } else if (choice === 1) {
    const hop = doc.hops[Math.floor(next() * doc.hops.length)];
    const field = pick(next, HOP_FIELDS);
    hop[field] = value;
    how = `a hop's ${field} = ${JSON.stringify(value)?.slice(0, 40)}`;
  } else if (choice === 2) {
    const hop = doc.hops[Math.floor(next() * doc.hops.length)];
    const field = pick(next, HOP_FIELDS);
    delete hop[field];
    how = `a hop's ${field} deleted`;
  } else {
    const times = 1 + Math.floor(next() * 20);
    doc.hops = Array.from({ length: times }, () => doc.hops).flat();
    how = `hops repeated ${times} times (${doc.hops.length})`;
  }
  return { bytes: Buffer.from(JSON.stringify(doc)), how };
}
