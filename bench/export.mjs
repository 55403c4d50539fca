// node bench/export.mjs: what --pcapng and --html cost on top of a replay, at 1x and 4x the
// trace size (memory must stay flat: frames are held only until their journeys settle), next
// to tcpdump copying the same hop files and mergecap merging them into one pcapng.
// BENCH_PACKETS_PER_HOP (default 250000: a million packets over the four hops at 1x).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { generateTrace } from './generate.mjs';
import { measure } from './measure.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const cli = path.join(here, '..', 'bin', 'hoptrace.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-bench-export-'));
const perHop = Number(process.env.BENCH_PACKETS_PER_HOP ?? 250_000);

/** The smallest host state replay accepts: no rules, forwarding on. */
const SNAPSHOT = { takenAt: 0, netns: 'bench', ruleset: { rules: [], chains: [], backends: [] }, conntrack: [], routes: [], neighbours: [], gaps: [], sysctls: { 'net.ipv4.ip_forward': '1' } };
const HOST_STATE = { format: 'hoptrace-host', version: 1, namespaces: [{ role: 'host', before: SNAPSHOT, after: SNAPSHOT }] };

function has(tool, args) {
  try {
    execFileSync(tool, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function row(tool, size, packets, m, out) {
  const bytes = out && fs.existsSync(out) ? fs.statSync(out).size : 0;
  const mb = bytes ? ` out ${(bytes / 1e6).toFixed(0)} MB` : '';
  // The machine is shared: CPU seconds say more than wall time when others are busy.
  const cpu = m.cpu.user + m.cpu.system;
  console.log(`${tool.padEnd(44)} ${size.padEnd(3)} ${String(packets).padStart(8)} pkts ${m.seconds.toFixed(2).padStart(7)} s  cpu ${cpu.toFixed(2).padStart(6)} s  peak ${m.peakMb.toFixed(0).padStart(5)} MB${mb}`);
  if (m.code !== 0 && m.code !== 1) console.log(`  exit ${m.code}: ${m.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  if (out) fs.rmSync(out, { force: true });
}

try {
  console.log(`export benchmark on ${os.cpus().length} cores, node ${process.version}; traces in ${work}`);
  for (const [size, factor] of [['1x', 1], ['4x', 4]]) {
    const trace = generateTrace(path.join(work, size), perHop * factor);
    const packets = trace.packets * trace.files.length;
    const pcapng = path.join(work, 'out.pcapng');
    const html = path.join(work, 'out.html');
    row('hoptrace replay (report only)', size, packets, await measure('node', [cli, 'replay', trace.dir, '--json']));
    row('hoptrace replay --pcapng', size, packets, await measure('node', [cli, 'replay', trace.dir, '--json', '--pcapng', pcapng]), pcapng);
    row('hoptrace replay --html', size, packets, await measure('node', [cli, 'replay', trace.dir, '--json', '--html', html]), html);
    // With host.json the export carries the host's state: the file is copied once at the end.
    fs.writeFileSync(path.join(trace.dir, 'host.json'), JSON.stringify(HOST_STATE));
    row('hoptrace replay --pcapng (with host.json)', size, packets, await measure('node', [cli, 'replay', trace.dir, '--json', '--pcapng', pcapng]), pcapng);
    fs.rmSync(path.join(trace.dir, 'host.json'));
    if (has('mergecap', ['-h'])) {
      row('mergecap -w (one pcapng, no annotation)', size, packets, await measure('mergecap', ['-w', pcapng, ...trace.files]), pcapng);
    }
    if (has('tcpdump', ['--version'])) {
      let total = { seconds: 0, peakMb: 0, code: 0, stderr: '', cpu: { user: 0, system: 0 } };
      for (const f of trace.files) {
        const m = await measure('tcpdump', ['-r', f, '-w', pcapng]);
        const cpu = { user: total.cpu.user + m.cpu.user, system: total.cpu.system + m.cpu.system };
        total = { seconds: total.seconds + m.seconds, peakMb: Math.max(total.peakMb, m.peakMb), code: m.code || total.code, stderr: m.stderr, cpu };
      }
      row('tcpdump -r -w (each hop file, summed)', size, packets, total, pcapng);
    }
    fs.rmSync(trace.dir, { recursive: true, force: true });
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
