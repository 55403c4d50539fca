// Packets per second of decodeFrame over a mix like a container trace: mostly IPv4 TCP,
// some UDP/DNS, ICMP echo, IPv6, VLAN and VXLAN. Run: npx vite-node test/decode/bench-decode.ts
// (a benchmark, not a test: vitest does not pick it up).
import { decodeFrame } from '../../src/decode/index.js';
import { ACK, bytes, ethernet, icmpEcho, ipv4, ipv6, PSH, tcp, udp, vxlan } from './builders.js';

function mix(n: number): Uint8Array[] {
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
  return frames;
}

const frames = mix(4096);
let sink = 0;
for (let i = 0; i < 200_000; i++) sink += decodeFrame(1, frames[i & 4095], frames[i & 4095].length) === undefined ? 1 : 0;
// CPU time, not wall time: on a shared machine other processes steal the cores, and the
// process's own CPU seconds are what the decoder costs.
const runs: number[] = [];
for (let r = 0; r < 5; r++) {
  const count = 2_000_000;
  const c0 = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const f = frames[i & 4095];
    const d = decodeFrame(1, f, f.length);
    if ('ip' in d) sink += d.ip.payloadHash & 1;
  }
  const c = process.cpuUsage(c0);
  runs.push(count / ((c.user + c.system) / 1e6));
}
runs.sort((a, b) => a - b);
const m = (x: number) => (x / 1e6).toFixed(2);
console.log(`decodeFrame: median ${m(runs[2])} M packets per CPU-second (min ${m(runs[0])}, max ${m(runs[4])}) over ${frames.length} distinct frames [${sink}]`);
