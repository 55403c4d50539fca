// The scale rows of `npm run bench`: matching on floods of identical packets (seen at every
// hop, and dropped before the last hop), and memory as the number of distinct flows grows. Each trace is generated on disk in chunks (never held
// in memory), replayed once by `hoptrace replay --json --pcap-reader native` (the native
// reader, so that the rows measure matching and flow keeping, not pcap-parser), then deleted.
//
//   node bench/scale.mjs                       all rows
//   BENCH_FLOOD=10000,20000 BENCH_FLOWS=100000 node bench/scale.mjs
//   BENCH_TIMEOUT_S=600    kill a run after this long (default 600 s) and report it
//   BENCH_FORCE=1          run a size even when a smaller one already failed
//   BENCH_FORMAT=jsonl     the report format replayed to (default json: the one streamed document)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateDroppedFlood, generateFlood, generateFlows } from './generate.mjs';
import { measure } from './measure.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const cli = path.join(here, '..', 'bin', 'hoptrace.js');
const list = (name, fallback) => (process.env[name] ?? fallback).split(',').filter(Boolean).map(Number);
const floods = list('BENCH_FLOOD', '10000,20000,40000,80000');
const flowCounts = list('BENCH_FLOWS', '100000,1000000,10000000');
const timeoutS = Number(process.env.BENCH_TIMEOUT_S ?? 600);
const force = process.env.BENCH_FORCE === '1';
const format = process.env.BENCH_FORMAT ?? 'json';
const rows = [];

function outcome(m) {
  if (m.timedOut) return `killed after ${timeoutS} s`;
  if (m.signal) return `died by ${m.signal}`;
  if (m.code === 0 || m.code === 1) return `exit ${m.code}`;
  const last = m.stderr.trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';
  return `exit ${m.code}: ${last.slice(0, 160)}`;
}

async function runRow(kind, n, generate) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hoptrace-scale-${kind}-`));
  try {
    const startedGen = process.hrtime.bigint();
    const trace = generate(path.join(dir, 'trace'), n);
    const genS = Number(process.hrtime.bigint() - startedGen) / 1e9;
    const mb = trace.files.reduce((sum, f) => sum + fs.statSync(f).size, 0) / 1e6;
    const m = await measure('node', [cli, 'replay', trace.dir, `--${format}`, '--pcap-reader', 'native'], { timeoutS });
    const ok = !m.timedOut && !m.signal && (m.code === 0 || m.code === 1);
    const packets = trace.total;
    const row = { kind, n, packets, fileMb: +mb.toFixed(0), generateS: +genS.toFixed(1), seconds: +m.seconds.toFixed(2), peakMb: +m.peakMb.toFixed(0), cpuS: +(m.cpu.user + m.cpu.system).toFixed(2), ok, outcome: outcome(m) };
    rows.push(row);
    console.log(`${kind.padEnd(13)} ${String(n).padStart(9)} ${String(packets).padStart(10)} pkts ${String(row.fileMb).padStart(6)} MB (made in ${row.generateS} s)  ${row.seconds.toFixed(2).padStart(8)} s  peak ${String(row.peakMb).padStart(5)} MB  cpu ${row.cpuS} s  ${row.outcome}`);
    return ok;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function series(kind, sizes, generate) {
  let failed = false;
  for (const n of sizes) {
    if (failed && !force) {
      rows.push({ kind, n, ok: false, outcome: 'skipped: a smaller size already failed (BENCH_FORCE=1 to run it)' });
      console.log(`${kind.padEnd(13)} ${String(n).padStart(9)} skipped: a smaller size already failed (BENCH_FORCE=1 to run it)`);
      continue;
    }
    if (!(await runRow(kind, n, generate))) failed = true;
  }
}

console.log(`scale benchmark on ${os.cpus().length} cores, node ${process.version}, replay --${format}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; kind, N, packets, size, replay time, peak memory, CPU time`);
console.log('flood: N byte-identical copies of one echo request per hop (4 hops), 1 us apart');
await series('flood', floods, generateFlood);
console.log('flood-dropped: the same flood, none of it seen at the last hop (every copy stays open for the window)');
await series('flood-dropped', floods, generateDroppedFlood);
console.log('flows: N distinct echo flows, request and reply at each of 4 hops, 100 us apart');
await series('flows', flowCounts, generateFlows);
fs.mkdirSync(path.join(here, 'out'), { recursive: true });
fs.writeFileSync(path.join(here, 'out', 'scale.json'), `${JSON.stringify(rows, null, 2)}\n`);
