// npm run bench: hoptrace's replay next to tcpdump and a plain read of the same files, in
// the same run, at 1x and 4x the trace size (memory must stay flat), on 1, 2 and all cores
// (BENCH_CORES). Then the scale rows (bench/scale.mjs: identical-packet floods, memory per
// flow count), and the live-capture and terminal-UI benchmarks where they can run
// (bench/live.mjs needs root and the lab).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { generateTrace } from './generate.mjs';
import { measure } from './measure.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const cli = path.join(here, '..', 'bin', 'hoptrace.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-bench-'));
const perHop = Number(process.env.BENCH_PACKETS_PER_HOP ?? 1_000_000);
const rows = [];

/**
 * The CPU sets hoptrace's replay runs on: BENCH_CORES lists core counts ("1,2,all", the
 * default); each count n runs the replay under `taskset -c 0-(n-1)`, "all" unpinned. So the
 * figures show whether work spread over threads (a worker-thread decoder) pays.
 */
function coreSets() {
  const all = os.availableParallelism?.() ?? os.cpus().length;
  const wanted = (process.env.BENCH_CORES ?? '1,2,all').split(',').map((c) => (c === 'all' ? all : Number(c)));
  const counts = [...new Set(wanted.filter((n) => Number.isInteger(n) && n >= 1).map((n) => Math.min(n, all)))].sort((a, b) => a - b);
  return counts.map((n) => ({ label: n === all ? `all ${all} cores` : `${n} core${n === 1 ? '' : 's'}`, pin: n === all ? [] : ['taskset', '-c', `0-${n - 1}`] }));
}

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Runs a node command on a set of cores (see coreSets). */
function onCores(set, args) {
  return set.pin.length > 0 ? measure(set.pin[0], [...set.pin.slice(1), 'node', ...args]) : measure('node', args);
}

function row(tool, size, packets, m) {
  const r = { tool, size, packets, seconds: +m.seconds.toFixed(2), mpps: +(packets / m.seconds / 1e6).toFixed(3), peakMb: +m.peakMb.toFixed(0), cpuS: +(m.cpu.user + m.cpu.system).toFixed(2) };
  rows.push(r);
  console.log(`${tool.padEnd(62)} ${size.padEnd(3)} ${String(packets).padStart(9)} pkts ${r.seconds.toFixed(2).padStart(7)} s ${r.mpps.toFixed(3).padStart(7)} Mpkt/s  peak ${String(r.peakMb).padStart(5)} MB`);
  if (m.code !== 0 && m.code !== 1) console.log(`  exit ${m.code}: ${m.stderr.trim().split('\n').slice(-3).join(' | ')}`);
}

async function sum(tool, size, packets, files, command, argsFor, env) {
  const total = { seconds: 0, peakMb: 0, cpu: { user: 0, system: 0 }, code: 0, stderr: '' };
  for (const f of files) {
    const m = await measure(command, argsFor(f), { env });
    total.seconds += m.seconds;
    total.peakMb = Math.max(total.peakMb, m.peakMb);
    total.cpu.user += m.cpu.user;
    total.cpu.system += m.cpu.system;
    if (m.code !== 0) Object.assign(total, { code: m.code, stderr: m.stderr });
  }
  row(tool, size, packets, total);
}

const hasTcpdump = (() => {
  try {
    execFileSync('tcpdump', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

try {
  console.log(`replay benchmark on ${os.cpus().length} cores, node ${process.version}; traces in ${work}`);
  console.log(`load: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);
  for (const [size, factor] of [['1x', 1], ['4x', 4]]) {
    const trace = generateTrace(path.join(work, size), perHop * factor);
    const files = trace.files;
    console.log(`-- ${size}: ${files.length} hops, ${trace.packets} packets per hop, ${(files.reduce((n, f) => n + fs.statSync(f).size, 0) / 1e6).toFixed(0)} MB`);
    const total = trace.packets * files.length;
    row('plain read (node, record walk)', size, total, await measure('node', [path.join(here, 'plain-read.mjs'), ...files]));
    if (hasTcpdump && factor === 1) {
      await sum('tcpdump -nn -r', size, total, files, 'tcpdump', (f) => ['-nn', '-r', f], { ...process.env, TZ: undefined });
      await sum('TZ=UTC tcpdump -nn -r', size, total, files, 'tcpdump', (f) => ['-nn', '-r', f], { ...process.env, TZ: 'UTC' });
    }
    const sets = hasTaskset ? coreSets() : coreSets().filter((set) => set.pin.length === 0);
    // The replay's variants: the default (native reader, files read on the main thread), the
    // files read in two worker threads (--threads 2), and the pcap-parser reader.
    const variants = [[], ['--threads', '2'], ['--pcap-reader', 'pcap-parser']];
    for (const set of sets) {
      const on = sets.length > 1 ? `, ${set.label}` : '';
      for (const extra of variants) {
        row(`hoptrace replay --json${extra.length ? ` ${extra.join(' ')}` : ''}${on}`, size, total, await onCores(set, [cli, 'replay', trace.dir, '--json', ...extra]));
      }
    }
    const tcpdumpRow = rows.find((r) => r.tool === 'TZ=UTC tcpdump -nn -r' && r.size === size);
    if (tcpdumpRow) {
      for (const r of rows.filter((x) => x.size === size && x.tool.startsWith('hoptrace'))) {
        r.vsTcpdump = +(tcpdumpRow.seconds / r.seconds).toFixed(2);
        console.log(`  ${r.tool}: ${r.vsTcpdump}x the speed of TZ=UTC tcpdump in this run`);
      }
    }
    fs.rmSync(trace.dir, { recursive: true, force: true });
  }
  console.log(`load: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);
  if (!hasTcpdump) console.log('tcpdump is not installed: run scripts/setup.sh for the side-by-side figures');
  if (!hasTaskset) console.log('taskset is not installed (util-linux): the replay ran on all cores only');
  fs.mkdirSync(path.join(here, 'out'), { recursive: true });
  fs.writeFileSync(path.join(here, 'out', 'replay.json'), `${JSON.stringify(rows, null, 2)}\n`);
  // BENCH_EXTRAS picks the benchmarks run after the replay rows ("" for none).
  for (const extra of (process.env.BENCH_EXTRAS ?? 'scale,tui,live,startup').split(',').filter(Boolean)) {
    const script = path.join(here, `${extra}.mjs`);
    if (fs.existsSync(script)) execFileSync('node', [script], { stdio: 'inherit' });
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
