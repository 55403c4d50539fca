// Replay speed as a ratio to `TZ=UTC tcpdump -nn -r` on the benchmark's trace, taken in the
// same run: on a shared machine only a ratio of neighbouring runs means anything. Each round
// runs tcpdump over every hop file, then each hoptrace variant; the figure per variant is the
// median over rounds of (tcpdump seconds / hoptrace seconds): above 1 is faster than tcpdump.
//   BENCH_PACKETS_PER_HOP (1,000,000)  BENCH_ROUNDS (3)  BENCH_CORES ("1,2,all")
//   BENCH_VARIANTS: extra replay arguments per variant, ";"-separated ("" = the default)
//   BENCH_TRACE: an existing trace directory to use instead of generating one
//   BENCH_BEFORE: another checkout's bin/hoptrace.js (e.g. main's), run as one more variant ("before")
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { generateTrace } from './generate.mjs';
import { measure } from './measure.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const cli = path.join(here, '..', 'bin', 'hoptrace.js');
const perHop = Number(process.env.BENCH_PACKETS_PER_HOP ?? 1_000_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const variants = (process.env.BENCH_VARIANTS ?? '').split(';').map((v) => ({ cli, args: v.trim().split(/\s+/).filter(Boolean) }));
if (process.env.BENCH_BEFORE) variants.push({ cli: process.env.BENCH_BEFORE, args: [], before: true });
const all = os.availableParallelism?.() ?? os.cpus().length;
const cores = [...new Set((process.env.BENCH_CORES ?? '1,2,all').split(',').map((c) => (c === 'all' ? all : Math.min(all, Number(c)))))].filter((n) => n >= 1);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();

async function tcpdump(files) {
  let seconds = 0;
  let cpu = 0;
  for (const f of files) {
    const m = await measure('tcpdump', ['-nn', '-r', f], { env: { ...process.env, TZ: 'UTC' } });
    seconds += m.seconds;
    cpu += m.cpu.user + m.cpu.system;
  }
  return { seconds, cpu };
}

function hoptrace(dir, variant, n) {
  const pin = n === all ? [] : ['taskset', '-c', `0-${n - 1}`];
  const command = [...pin, 'node', variant.cli, 'replay', dir, '--json', ...variant.args];
  return measure(command[0], command.slice(1));
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-ratio-'));
try {
  const trace = process.env.BENCH_TRACE
    ? { dir: process.env.BENCH_TRACE, files: fs.readdirSync(process.env.BENCH_TRACE).filter((f) => f.endsWith('.pcap')).map((f) => path.join(process.env.BENCH_TRACE, f)) }
    : generateTrace(path.join(work, 'trace'), perHop);
  const packets = trace.files.reduce((n, f) => n + (fs.statSync(f).size - 24) / 114, 0);
  console.log(`replay ratio to TZ=UTC tcpdump -nn -r: ${trace.files.length} hops, ~${Math.round(packets)} packets, ${rounds} rounds; node ${process.version}`);
  console.log(`before: ${uptime()}`);
  const results = new Map();
  for (let r = 0; r < rounds; r++) {
    for (const n of cores) {
      for (const variant of variants) {
        const t = await tcpdump(trace.files);
        const h = await hoptrace(trace.dir, variant, n);
        const key = `${n === all ? `all ${all}` : n} core${n === 1 ? '' : 's'}${variant.before ? ' before (BENCH_BEFORE)' : ''}${variant.args.length ? ` ${variant.args.join(' ')}` : ''}`;
        const list = results.get(key) ?? [];
        list.push({ ratio: t.seconds / h.seconds, t: t.seconds, h: h.seconds, peakMb: h.peakMb, cpu: h.cpu.user + h.cpu.system, code: h.code });
        results.set(key, list);
        if (h.code !== 0 && h.code !== 1) console.log(`  exit ${h.code}: ${h.stderr.trim().split('\n').slice(-2).join(' | ')}`);
      }
    }
  }
  for (const [key, list] of results) {
    const m = median(list.map((x) => x.ratio));
    const detail = list.map((x) => `${x.ratio.toFixed(2)} (${x.h.toFixed(2)} s vs ${x.t.toFixed(2)} s)`).join(', ');
    console.log(`${key.padEnd(36)} median ${m.toFixed(2)}x tcpdump  [${detail}]  peak ${Math.max(...list.map((x) => x.peakMb)).toFixed(0)} MB, cpu ${median(list.map((x) => x.cpu)).toFixed(2)} s`);
  }
  console.log(`after: ${uptime()}`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
