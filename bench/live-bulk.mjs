// Live-capture benchmark of a bulk transfer (issue 14): needs root. In namespaces of its own
// (a container-like netns on a bridge, MASQUERADE at an uplink, an outside host; no Docker)
// the "container" downloads BENCH_BULK_MB (default 200) MB with busybox wget from busybox
// httpd on the outside host while `hoptrace watch ... 'tcp port 80'` traces that very flow on
// all four hops, and tcpdump captures the uplink in the same run. Per run it prints the
// packets each hop of hoptrace handed over, the kernel's counters per hop where hoptrace
// reports them (warnings), tcpdump's received/dropped on the uplink, and the helpers' peak RSS.
//   HOPTRACE_CLI=/path/to/bin/hoptrace.js  trace with another build (the "before" figures)
//   BENCH_BULK_RUNS=3                      runs
//   BENCH_BULK_GSO_MAX=1500                no GSO super-packets: every segment is a packet (~10x the packets)
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const cli = process.env.HOPTRACE_CLI ?? path.join(here, '..', 'bin', 'hoptrace.js');
const megabytes = Number(process.env.BENCH_BULK_MB ?? 200);
const runs = Number(process.env.BENCH_BULK_RUNS ?? 3);
const gsoMax = process.env.BENCH_BULK_GSO_MAX;
const tag = `ht-bb${process.pid % 10000}`;
const [C, H, O] = ['c', 'h', 'o'].map((s) => `${tag}-${s}`);
const ns = (n) => `--net=/var/run/netns/${n}`;
const www = fs.mkdtempSync(path.join(os.tmpdir(), `${tag}-www-`));

if (process.getuid?.() !== 0) {
  console.log('live bulk benchmark skipped: it needs root (network namespaces, packet capture)');
  process.exit(0);
}

function sh(script) {
  execFileSync('sh', ['-ec', script], { stdio: ['ignore', 'ignore', 'inherit'] });
}

function up() {
  sh(`
    for n in ${C} ${H} ${O}; do ip netns add $n; ip -n $n link set lo up;
      nsenter ${ns('$n')} sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done
    ip -n ${H} link add br0 type bridge && ip -n ${H} addr add 198.18.9.1/24 dev br0 && ip -n ${H} link set br0 up
    ip -n ${H} link add vh0 type veth peer name eth0 netns ${C} && ip -n ${H} link set vh0 master br0 up
    ip -n ${C} addr add 198.18.9.2/24 dev eth0 && ip -n ${C} link set eth0 up && ip -n ${C} route add default via 198.18.9.1
    ip -n ${H} link add eth0 type veth peer name eth0 netns ${O}
    ip -n ${H} addr add 203.0.113.65/26 dev eth0 && ip -n ${H} link set eth0 up
    ip -n ${O} addr add 203.0.113.66/26 dev eth0 && ip -n ${O} link set eth0 up
    ip -n ${H} route add default via 203.0.113.66
    ${gsoMax ? `for l in "${C} eth0" "${H} vh0" "${H} br0" "${H} eth0" "${O} eth0"; do set -- $l; ip -n $1 link set dev $2 gso_max_size ${gsoMax} gro_max_size ${gsoMax}; done` : ''}
    nsenter ${ns(H)} sysctl -qw net.ipv4.ip_forward=1
    nsenter ${ns(H)} iptables -t nat -A POSTROUTING -s 198.18.9.0/24 ! -o br0 -j MASQUERADE
  `);
  fs.writeFileSync(path.join(www, 'index.html'), 'hoptrace\n');
  // A sparse file: httpd sends zeros, nothing is written to disk.
  fs.closeSync(fs.openSync(path.join(www, 'bulk'), 'w'));
  fs.truncateSync(path.join(www, 'bulk'), megabytes * 1_000_000);
}

function down() {
  sh(`for n in ${C} ${H} ${O}; do ip netns del $n 2>/dev/null || true; done`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Peak RSS (MB) and CPU ticks of the CLI's capture helpers, sampled while it runs. */
function sampleHelpers(pid, peak, ticks) {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== pid) continue;
      if (!fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('helper.js')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(entry, Number(fields[11]) + Number(fields[12]));
      const rss = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1] ?? 0) / 1024;
      peak.set(entry, Math.max(peak.get(entry) ?? 0, rss));
    } catch {
      // gone
    }
  }
}

async function listening(netns, port) {
  for (let i = 0; i < 100; i++) {
    if (execFileSync('nsenter', [ns(netns), 'ss', '-Hltn', `sport = :${port}`]).toString().trim()) return;
    await sleep(50);
  }
  throw new Error(`nothing listens on port ${port} in ${netns}`);
}

async function run() {
  const server = spawn('nsenter', [ns(O), 'busybox', 'httpd', '-f', '-p', '80', '-h', www], { stdio: 'ignore' });
  const serverGone = new Promise((r) => server.on('close', r));
  await listening(O, 80);
  const tcpdump = spawn('nsenter', [ns(H), 'tcpdump', '-i', 'eth0', '-nn', '-w', '/dev/null', 'tcp port 80'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let tcpdumpErr = '';
  tcpdump.stderr.on('data', (d) => (tcpdumpErr += d));
  const trace = spawn(process.execPath, [cli, 'watch', '--netns', C, '--host-netns', H, 'tcp port 80', '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  trace.stdout.on('data', (d) => (stdout += d));
  trace.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((r) => trace.on('close', r));
  const peak = new Map();
  const ticks = new Map();
  const sampler = setInterval(() => sampleHelpers(trace.pid, peak, ticks), 50);
  await sleep(3000); // hoptrace is capturing within ~1 s of start
  const t0 = process.hrtime.bigint();
  execFileSync('nsenter', [ns(C), 'busybox', 'wget', '-q', '-O', '/dev/null', 'http://203.0.113.66/bulk'], { timeout: 120_000 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await sleep(1000);
  trace.kill('SIGINT');
  await exited;
  clearInterval(sampler);
  tcpdump.kill('SIGINT');
  await new Promise((r) => tcpdump.on('close', r));
  server.kill('SIGTERM');
  await serverGone;
  const report = JSON.parse(stdout || '{"summary":{"packetsPerHop":[],"warnings":[]},"hops":[]}');
  return {
    transferS: +seconds.toFixed(2),
    hops: report.hops.map((h) => h.name),
    hoptracePerHop: report.summary.packetsPerHop,
    kernelCounters: /^taken by the kernel/.test(report.summary.timestamps ?? ''),
    flows: report.flows?.length ?? 0,
    // The smallest per-hop latency of the traced flow: below zero only when clocks disagree.
    minLatencyUs: Math.min(...(report.flows ?? []).flatMap((f) => f.latency.map((step) => step.minUs))),
    kernelLoss: report.summary.warnings.filter((w) => /dropped/.test(w)),
    tcpdumpReceived: Number(/(\d+) packets received by filter/.exec(tcpdumpErr)?.[1] ?? -1),
    tcpdumpDropped: Number(/(\d+) packets dropped by kernel/.exec(tcpdumpErr)?.[1] ?? -1),
    helperPeakRssMb: [...peak.values()].map((v) => Math.round(v)),
    helpersCpuS: [...ticks.values()].reduce((a, b) => a + b, 0) / 100,
    stderrTail: stderr.trim().split('\n').slice(-2),
  };
}

down();
try {
  up();
  console.log(`\nlive capture of a bulk flow${gsoMax ? ` (gso_max_size ${gsoMax})` : ''}: the container downloads ${megabytes} MB over HTTP while hoptrace watches 'tcp port 80' on all four hops; tcpdump on the uplink in the same run (${cli})`);
  const rows = [];
  for (let i = 0; i < runs; i++) {
    const r = await run();
    rows.push(r);
    console.log(
      `run ${i + 1}: ${r.transferS} s; hops ${r.hops.join(', ')}; hoptrace per hop ${JSON.stringify(r.hoptracePerHop)}; kernel loss ${!r.kernelCounters ? 'not reported (a build without kernel counters)' : r.kernelLoss.length ? r.kernelLoss.join('; ') : 'none counted'}; ` +
        `tcpdump uplink received ${r.tcpdumpReceived}, dropped ${r.tcpdumpDropped}; helpers' peak RSS ${JSON.stringify(r.helperPeakRssMb)} MB, CPU ${r.helpersCpuS} s; ${r.flows} flow(s), smallest hop latency ${r.minLatencyUs} us`,
    );
  }
  fs.mkdirSync(path.join(here, 'out'), { recursive: true });
  fs.writeFileSync(path.join(here, 'out', 'live-bulk.json'), `${JSON.stringify(rows, null, 2)}\n`);
} finally {
  down();
  fs.rmSync(www, { recursive: true, force: true });
}
