// Live-capture benchmark (issue 3, "Speed"): needs root. In namespaces of its own (a
// container-like netns on a bridge, MASQUERADE at an uplink, an outside host; no Docker) it
// traces `hoptrace ping` at 10 packets/s while raw UDP background load of rising rate crosses
// the same four interfaces, with tcpdump capturing the uplink in the same run. Per step it
// prints the background rate reached, the traced packets each hop of hoptrace saw and what
// tcpdump saw, and the CPU of hoptrace's main process. Load is bounded to a few seconds a step.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const cli = process.env.HOPTRACE_CLI ?? path.join(here, '..', 'bin', 'hoptrace.js');
const rates = (process.env.BENCH_LIVE_RATES ?? '0,50000,100000,200000,400000').split(',').map(Number);
const COUNT = 30;
const tag = `ht-lb${process.pid % 10000}`;
const [C, H, O] = ['c', 'h', 'o'].map((s) => `${tag}-${s}`);
const ns = (n) => `--net=/var/run/netns/${n}`;

if (process.getuid?.() !== 0) {
  console.log('live benchmark skipped: it needs root (network namespaces, packet capture)');
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
    nsenter ${ns(H)} sysctl -qw net.ipv4.ip_forward=1
    nsenter ${ns(H)} iptables -t nat -A POSTROUTING -s 198.18.9.0/24 ! -o br0 -j MASQUERADE
    nsenter ${ns(O)} iptables -A INPUT -p udp --dport 9 -j DROP
  `);
}

function down() {
  sh(`for n in ${C} ${H} ${O}; do ip netns del $n 2>/dev/null || true; done`);
}

function linkInfo(netns, dev) {
  const out = execFileSync('nsenter', [ns(netns), 'ip', '-j', '-s', 'link', 'show', 'dev', dev]).toString();
  const [link] = JSON.parse(out);
  return { mac: link.address, tx: link.stats64.tx.packets };
}

/** The CLI's children: whether the ping runs yet, and the CPU ticks of its capture helpers. */
function children(pid, helperTicks) {
  let ping = false;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== pid) continue;
      if (stat.includes('(ping)') || stat.includes('(busybox)')) ping = true;
      if (stat.includes('(node)')) helperTicks.set(entry, Number(fields[11]) + Number(fields[12]));
    } catch {
      // gone
    }
  }
  return ping;
}

/** Runs the CLI and samples its own CPU time (helpers are separate processes) until it exits. */
function traceWithCpu(args) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    let ticks = 0;
    let tracing;
    const helperTicks = new Map();
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setInterval(() => {
      try {
        const stat = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
        ticks = Number(stat[11]) + Number(stat[12]);
        // The ping starts once every hop captures: from then on it is tracing, not starting up.
        if (children(child.pid, helperTicks) && !tracing) tracing = { ticks, at: process.hrtime.bigint() };
      } catch {
        // exited
      }
    }, 25);
    child.on('close', (code) => {
      clearInterval(timer);
      const now = process.hrtime.bigint();
      const steady = tracing ? { cpuS: (ticks - tracing.ticks) / 100, seconds: Number(now - tracing.at) / 1e9 } : undefined;
      const helpersCpuS = [...helperTicks.values()].reduce((a, b) => a + b, 0) / 100;
      resolve({ code, stdout, stderr, seconds: Number(now - started) / 1e9, cpuS: ticks / 100, steady, helpersCpuS });
    });
  });
}

async function step(rate, gatewayMac, containerMac) {
  const pcap = path.join(os.tmpdir(), `${tag}-${rate}.pcap`);
  const tcpdump = spawn('nsenter', [ns(H), 'tcpdump', '-i', 'eth0', '-nn', '-w', pcap, 'icmp'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let tcpdumpErr = '';
  tcpdump.stderr.on('data', (d) => (tcpdumpErr += d));
  // One sender makes ~100-130 kpps here: split higher rates over several.
  const senders = rate > 0 ? Math.ceil(rate / 100_000) : 0;
  const load = Array.from({ length: senders }, () =>
    spawn('nsenter', [ns(C), process.execPath, path.join(here, 'live-load.mjs'), 'eth0', containerMac, gatewayMac, '198.18.9.2', '203.0.113.66', String(rate / senders), '12'], { stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  await new Promise((r) => setTimeout(r, 1000));
  const before = linkInfo(H, 'eth0').tx;
  const t0 = process.hrtime.bigint();
  const run = await traceWithCpu(['ping', '--netns', C, '--host-netns', H, '203.0.113.66', '--count', String(COUNT), '--interval', '0.1', '--json']);
  const background = (linkInfo(H, 'eth0').tx - before) / (Number(process.hrtime.bigint() - t0) / 1e9);
  for (const sender of load) sender.kill('SIGTERM');
  tcpdump.kill('SIGINT');
  await new Promise((r) => tcpdump.on('close', r));
  const tcpdumpSeen = execFileSync('tcpdump', ['-nn', '-r', pcap], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().split('\n').filter(Boolean).length;
  fs.rmSync(pcap, { force: true });
  const report = JSON.parse(run.stdout || '{"summary":{"packetsPerHop":[]},"flows":[]}');
  const replies = Number(/(\d+) replies/.exec(run.stderr)?.[1] ?? 0);
  return {
    targetPps: rate,
    backgroundPps: Math.round(background),
    expectedPerHop: COUNT + replies,
    hoptracePerHop: report.summary.packetsPerHop,
    verdict: report.flows[0]?.verdict ?? 'none',
    tcpdumpUplink: tcpdumpSeen,
    tcpdumpKernelDrops: Number(/(\d+) packets dropped by kernel/.exec(tcpdumpErr)?.[1] ?? -1),
    mainCpuPercent: run.steady ? +((100 * run.steady.cpuS) / run.steady.seconds).toFixed(1) : null,
    mainCpuS: run.steady?.cpuS ?? null,
    tracingS: run.steady ? +run.steady.seconds.toFixed(2) : null,
    wholeRunCpuS: run.cpuS,
    helpersCpuS: run.helpersCpuS,
    wallS: +run.seconds.toFixed(2),
  };
}

down();
try {
  up();
  const gatewayMac = linkInfo(H, 'br0').mac;
  const containerMac = linkInfo(C, 'eth0').mac;
  const rows = [];
  console.log(`\nlive capture: hoptrace ping at 10 pps (${COUNT} echoes) under background UDP load on all four hops; tcpdump on the uplink in the same run`);
  console.log('target pps  background pps  expected/hop  hoptrace per hop        tcpdump uplink (kernel drops)  verdict   main CPU while tracing (whole run incl. start-up; helpers)');
  for (const rate of rates) {
    const r = await step(rate, gatewayMac, containerMac);
    rows.push(r);
    console.log(
      `${String(r.targetPps).padStart(10)}  ${String(r.backgroundPps).padStart(14)}  ${String(r.expectedPerHop).padStart(12)}  ${JSON.stringify(r.hoptracePerHop).padEnd(22)}  ${`${r.tcpdumpUplink} (${r.tcpdumpKernelDrops})`.padEnd(29)}  ${r.verdict.padEnd(8)}  ${r.mainCpuPercent}% (${r.mainCpuS} s of ${r.tracingS} s; ${r.wholeRunCpuS} s of ${r.wallS} s; helpers ${r.helpersCpuS} s)`,
    );
  }
  fs.mkdirSync(path.join(here, 'out'), { recursive: true });
  fs.writeFileSync(path.join(here, 'out', 'live.json'), `${JSON.stringify(rows, null, 2)}\n`);
} finally {
  down();
}
