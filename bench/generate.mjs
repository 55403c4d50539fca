// Builds a big trace from a real recording: the first echo (request and reply, as every hop
// saw it) of fixtures/ping-out, repeated with fresh IP ids, echo sequence numbers and one
// echo id per 1000 copies, so every copy is a distinct packet and the copies form many flows.
// The bytes NAT touched stay as recorded; checksums are not fixed (hoptrace never checks them).
import fs from 'node:fs';
import path from 'node:path';
import { openTrace } from '../dist/capture/trace.js';

const ETH = 14;

function firstEcho(traceDir) {
  const trace = openTrace([traceDir]);
  const perHop = trace.hops.map(() => []);
  for (const f of trace.frames()) {
    const ip = ETH;
    if (f.data[ip + 9] !== 1) continue; // ICMP only
    const seq = (f.data[ip + 20 + 6] << 8) | f.data[ip + 20 + 7];
    perHop[f.hop].push({ seq, t: f.tsSec * 1e9 + f.tsNsec, data: Uint8Array.from(f.data) });
  }
  trace.close();
  const seq = Math.min(...perHop.flat().map((p) => p.seq));
  return { trace, packets: perHop.map((ps) => ps.filter((p) => p.seq === seq)) };
}

/** Changes one copy's packet in place: the copy's number, the packet, and where its IP header is. */
const freshIds = (chunk, ip, p, c) => {
  chunk.writeUInt16BE((p.data[ETH + 4] * 256 + p.data[ETH + 5] + c) & 0xffff, ip + 4);
  chunk.writeUInt16BE((p.data[ETH + 24] * 256 + p.data[ETH + 25] + Math.floor(c / 1000)) & 0xffff, ip + 24);
  chunk.writeUInt16BE((p.data[ETH + 26] * 256 + p.data[ETH + 27] + c) & 0xffff, ip + 26);
};

/**
 * Writes `copies` copies of a hop's packets, `spacingNs` apart, in chunks of about 4 MiB:
 * a trace of any size is generated without holding it in memory.
 */
function writeHop(file, packets, copies, spacingNs, t0, mutate = freshIds) {
  const fd = fs.openSync(file, 'w');
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(1, 20);
  fs.writeSync(fd, header);
  const recordSize = packets.reduce((n, p) => n + 16 + p.data.length, 0);
  const perChunk = Math.max(1, Math.floor((4 << 20) / recordSize));
  const chunk = Buffer.alloc(perChunk * recordSize);
  for (let k = 0; k < copies; k += perChunk) {
    let o = 0;
    for (let c = k; c < Math.min(copies, k + perChunk); c++) {
      for (const p of packets) {
        const ns = p.t - t0 + c * spacingNs;
        chunk.writeUInt32LE(1_700_000_000 + Math.floor(ns / 1e9), o);
        chunk.writeUInt32LE(Math.floor((ns % 1e9) / 1000), o + 4);
        chunk.writeUInt32LE(p.data.length, o + 8);
        chunk.writeUInt32LE(p.data.length, o + 12);
        chunk.set(p.data, o + 16);
        mutate(chunk, o + 16 + ETH, p, c);
        o += 16 + p.data.length;
      }
    }
    fs.writeSync(fd, chunk, 0, o);
  }
  fs.closeSync(fd);
}

/** Writes path.json and one file per hop of ping-out, each hop's packets changed per copy by `mutate`. */
function writeTrace(outDir, pick, copies, spacingNs, mutate, description) {
  const source = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'ping-out');
  const { trace, packets: echo } = firstEcho(source);
  const packets = echo.map(pick);
  const t0 = Math.min(...packets.flat().map((p) => p.t));
  fs.mkdirSync(outDir, { recursive: true });
  const hops = trace.hops.map((hop, i) => {
    const file = `${String(i + 1).padStart(2, '0')}-${hop.iface ?? i}.pcap`;
    writeHop(path.join(outDir, file), packets[i], copies, spacingNs, t0, mutate);
    return { file, name: hop.name, role: hop.role, netns: hop.netns, iface: hop.iface, addrs: hop.addrs };
  });
  fs.writeFileSync(path.join(outDir, 'path.json'), `${JSON.stringify({ description, hops }, null, 2)}\n`);
  const total = copies * packets.reduce((n, ps) => n + ps.length, 0);
  return { dir: outDir, files: hops.map((h) => path.join(outDir, h.file)), packets: copies * Math.max(...packets.map((p) => p.length)), total };
}

/**
 * A flood of identical packets: `copies` byte-identical copies of ping-out's first echo
 * request at every hop, 1 us apart. Every copy at one hop matches every copy at the next
 * by content: the case that makes matching quadratic when candidates are scanned.
 */
export function generateFlood(outDir, copies, spacingNs = 1000) {
  const requestOnly = (ps) => ps.filter((p) => p.data[ETH + 20] === 8);
  const description = `generated from fixtures/ping-out: ${copies} byte-identical copies of its first echo request at every hop, ${spacingNs / 1000} us apart`;
  return writeTrace(outDir, requestOnly, copies, spacingNs, () => {}, description);
}

/**
 * The same flood, dropped before the last hop (its capture is empty): no journey completes,
 * so every copy stays open for the matching window and each new copy meets all the open
 * ones with the same content.
 */
export function generateDroppedFlood(outDir, copies, spacingNs = 1000) {
  const trace = generateFlood(outDir, copies, spacingNs);
  const last = trace.files[trace.files.length - 1];
  fs.truncateSync(last, 24);
  trace.total -= copies;
  const doc = JSON.parse(fs.readFileSync(path.join(outDir, 'path.json'), 'utf8'));
  doc.description += `; the last hop saw none of them`;
  fs.writeFileSync(path.join(outDir, 'path.json'), `${JSON.stringify(doc, null, 2)}\n`);
  return trace;
}

/**
 * `flows` distinct flows: ping-out's first echo (request and reply at every hop) with the
 * echo id (16 bits) and the far end's last address byte (203.0.113.2 + flow / 65536) set per
 * flow, so that up to 16 million flows are distinct. Checksums are left as recorded.
 */
export function generateFlows(outDir, flows, spacingNs = 100_000) {
  if (flows > 250 * 65536) throw new Error(`at most ${250 * 65536} distinct flows`);
  const perFlow = (chunk, ip, p, c) => {
    const request = p.data[ETH + 20] === 8;
    chunk.writeUInt16BE(c & 0xffff, ip + 4);
    chunk[ip + (request ? 19 : 15)] = 2 + Math.floor(c / 65536);
    chunk.writeUInt16BE(c & 0xffff, ip + 24);
  };
  const description = `generated from fixtures/ping-out: ${flows} distinct echo flows (request and reply), ${spacingNs / 1000} us apart`;
  return writeTrace(outDir, (ps) => ps, flows, spacingNs, perFlow, description);
}

/** Writes a trace directory with `packetsPerHop` packets at each hop of the recording. */
export function generateTrace(outDir, packetsPerHop, spacingNs = 100_000) {
  const copiesFor = (packets) => Math.ceil(packetsPerHop / Math.max(...packets.map((p) => p.length)));
  let copies = 0;
  const pick = (ps) => ps;
  const source = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'ping-out');
  copies = copiesFor(firstEcho(source).packets);
  const description = `generated from fixtures/ping-out: ${copies} copies of its first echo, ${spacingNs / 1000} us apart`;
  return writeTrace(outDir, pick, copies, spacingNs, freshIds, description);
}
