// Packets per CPU-second of decodeFrame, over (1) a generated mix like a busy container
// trace: mostly IPv4 TCP, some UDP/DNS, ICMP echo, IPv6, VLAN and VXLAN; and (2) every frame
// of the recorded Docker fixtures (fixtures/*/*.pcap: real pings, TCP, DNS, ICMP errors).
// A benchmark, not a test (vitest does not pick it up). Compile and run with plain node:
//   npx tsc --outDir node_modules/.cache/ht-bench --rootDir . --module NodeNext --moduleResolution NodeNext \
//     --target ES2022 --strict --skipLibCheck --types node test/decode/bench-decode.ts
//   node node_modules/.cache/ht-bench/test/decode/bench-decode.js
// (vite-node's module wrapping turns every imported call into a getter and halves the figure.)
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { openCaptureFile } from '../../src/capture/files/open.js';
import { decodeFrame } from '../../src/decode/index.js';
import { ACK, bytes, ethernet, icmpEcho, ipv4, ipv6, PSH, tcp, udp, vxlan } from './builders.js';

interface BenchFrame { linkType: number; data: Uint8Array; origLen: number }

function generatedMix(n: number): BenchFrame[] {
  const frames: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const src = `198.18.${(i >> 8) & 0xff}.${i & 0xff}`;
    const kind = i % 20;
    if (kind < 11) frames.push(ethernet(0x0800, ipv4({ src, proto: 6, id: i }, tcp({ sport: 40000 + i, dport: 443, seq: i * 1448, ack: 1, flags: PSH | ACK }, bytes(1448)))));
    else if (kind < 15) frames.push(ethernet(0x0800, ipv4({ src, proto: 6, id: i }, tcp({ sport: 443, dport: 40000 + i, ack: i, flags: ACK, options: [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2] }))));
    else if (kind < 17) frames.push(ethernet(0x0800, ipv4({ src, proto: 17, id: i }, udp({ sport: 30000 + i, dport: 53 }, bytes(40)))));
    else if (kind === 17) frames.push(ethernet(0x0800, ipv4({ src, proto: 1, id: i }, icmpEcho(8, 7, i, bytes(56)))));
    else if (kind === 18) frames.push(ethernet(0x86dd, ipv6({ src: `2001:db8::${i.toString(16)}`, next: 6 }, tcp({ sport: 40000, dport: 443, seq: i, flags: ACK }, bytes(1200)))));
    else frames.push(ethernet(0x0800, ipv4({ proto: 17 }, udp({ sport: 50000, dport: 4789 }, vxlan(42, ethernet(0x0800, ipv4({ src, proto: 6 }, tcp({ sport: 1, dport: 2 }, bytes(100))))))), [{ id: 100 }]));
  }
  return frames.map((data) => ({ linkType: 1, data, origLen: data.length }));
}

function recordedFixtures(): BenchFrame[] {
  const root = join(import.meta.dirname ?? '.', '../../fixtures');
  const dir = existsSync(join(root, 'ping-out')) ? root : join(process.cwd(), 'fixtures');
  const frames: BenchFrame[] = [];
  for (const scenario of existsSync(dir) ? readdirSync(dir) : []) {
    if (scenario.startsWith('corpus')) continue;
    const files = existsSync(join(dir, scenario, 'path.json')) ? readdirSync(join(dir, scenario)) : [];
    for (const file of files.filter((f) => f.endsWith('.pcap'))) {
      const reader = openCaptureFile(join(dir, scenario, file));
      for (let r = reader.next(); r !== null; r = reader.next()) frames.push({ linkType: r.linkType, data: r.data.slice(), origLen: r.origLen });
      reader.close();
    }
  }
  return frames;
}

/** CPU time, not wall time: on a shared machine other processes steal the cores. */
function measure(name: string, frames: BenchFrame[]): void {
  if (frames.length === 0) return;
  let sink = 0;
  const runs: number[] = [];
  for (let r = 0; r < 6; r++) {
    const count = 2_000_000;
    const c0 = process.cpuUsage();
    for (let i = 0; i < count; i++) {
      const f = frames[i % frames.length];
      const d = decodeFrame(f.linkType, f.data, f.origLen);
      if ('ip' in d) sink += d.ip.payloadHash & 1;
    }
    const c = process.cpuUsage(c0);
    if (r > 0) runs.push(count / ((c.user + c.system) / 1e6)); // the first run warms up
  }
  runs.sort((a, b) => a - b);
  const m = (x: number) => (x / 1e6).toFixed(2);
  console.log(`${name}: median ${m(runs[2])} M packets per CPU-second (min ${m(runs[0])}, max ${m(runs[4])}), ${frames.length} distinct frames [${sink & 1}]`);
}

measure('decodeFrame, generated container mix', generatedMix(4096));
measure('decodeFrame, recorded Docker fixtures', recordedFixtures());
