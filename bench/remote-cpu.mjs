// node bench/remote-cpu.mjs (root, with the multi-host lab of $HT_LAB_ID up): the CPU the capture
// helper takes on a remote host while it captures a given packet rate, side by side with tcpdump.
// `hoptrace watch c1 icmp --host h1=unix://.. --host h2=tcp://..` captures five hops on h2 (eth0,
// the overlay's vxlan0, br0, veth, c2 eth0); c1 pings c2 BENCH_REMOTE_ECHOES times (default 5000)
// every 2 ms. Over the ping, the CPU time of h2's helper processes (the agent and its capture
// helper, found by their cgroup under h2's engine) is read from /proc; then the same ping again
// with one tcpdump per hop on h2 (-s 296, to /dev/null, the same filters). Figures: packets per
// second per hop, CPU % of one core, and the ratio helper/tcpdump.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { multihostLabEnv } from './multihost-lab.mjs';

const root = path.join(path.dirname(new URL(import.meta.url).pathname), '..');
const cli = path.join(root, 'bin', 'hoptrace.js');
const echoes = Number(process.env.BENCH_REMOTE_ECHOES ?? 5000);
const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/** utime+stime (s) of every process whose pid, cgroup and command line match. */
function cpuSeconds(match) {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      if (!match(cmd, cgroup, pid)) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks / TICK;
}

function ping(env) {
  const started = Date.now();
  execFileSync(env.HT_DOCKER_CLI, ['-H', env.HT_H1_DOCKER_HOST, 'exec', 'c1', 'ping', '-q', '-c', String(echoes), '-i', '0.002', env.c2], { stdio: 'ignore' });
  return (Date.now() - started) / 1000;
}

async function main() {
  const env = multihostLabEnv();
  if (typeof env === 'string') {
    console.log(`remote helper CPU: skipped (${env})`);
    return;
  }
  const d2 = (...args) => execFileSync('nsenter', [`--net=/var/run/netns/${env.HT_NS_OUTSIDE}`, env.HT_DOCKER_CLI, '-H', env.HT_H2_DOCKER_HOST, ...args], { encoding: 'utf8' }).trim();
  env.c2 = d2('inspect', '-f', '{{(index .NetworkSettings.Networks "ht-overlay").IPAddress}}', 'c2');
  const h2Cgroup = `ht-mh-${env.HT_LAB_ID}-h2`;
  const helperOnH2 = (cmd, cgroup) => cgroup.includes(h2Cgroup) && cmd.includes('/hoptrace/dist/capture/');
  console.log(`remote helper CPU (lab ${env.HT_LAB_ID}; load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}; ${echoes} echoes every 2 ms)`);

  const child = spawn('nsenter', [`--net=/var/run/netns/${env.HT_NS_OUTSIDE}`, process.execPath, cli, 'watch', 'c1', 'icmp', '--text', '--host', `h1=${env.HT_H1_DOCKER_HOST}`, '--host', `h2=${env.HT_H2_DOCKER_HOST}`], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  await new Promise((resolve, reject) => {
    const t = setInterval(() => /capturing on/.test(err) && (clearInterval(t), resolve()), 100);
    child.on('close', () => reject(new Error(err)));
  });
  const before = cpuSeconds(helperOnH2);
  const seconds = ping(env);
  const helperCpu = cpuSeconds(helperOnH2) - before;
  child.kill('SIGINT');
  await new Promise((resolve) => child.on('close', resolve));
  const perHop = /packets per hop: (.*)/.exec(out)?.[1] ?? '';
  const h2Counts = [...perHop.matchAll(/h2 [^,]*? (\d+)(?: \(kernel[^)]*\))?(?:,|$)/g)].map((m) => Number(m[1]));
  const pps = Math.max(...h2Counts) / seconds;

  // tcpdump, one per hop on h2, over the same ping.
  const overlayNs = `${env.HT_H2_EXEC_ROOT}/netns/1-${d2('network', 'inspect', '-f', '{{.Id}}', 'ht-overlay').slice(0, 10)}`;
  const c2Ns = `/proc/${d2('inspect', '-f', '{{.State.Pid}}', 'c2')}/ns/net`;
  const veth = JSON.parse(execFileSync('nsenter', [`--net=${overlayNs}`, 'ip', '-j', 'link', 'show', 'master', 'br0'], { encoding: 'utf8' }))
    .map((l) => l.ifname).find((n) => n.startsWith('veth'));
  const taps = [[`/var/run/netns/${env.HT_NS_H2}`, 'eth0', 'udp port 4789'], [overlayNs, 'vxlan0', 'icmp'], [overlayNs, 'br0', 'icmp'], [overlayNs, veth, 'icmp'], [c2Ns, 'eth0', 'icmp']];
  const dumps = taps.map(([ns, iface, filter]) => spawn('nsenter', [`--net=${ns}`, 'tcpdump', '-i', iface, '-s', '296', '-w', '/dev/null', '-B', '8192', '-n', filter], { stdio: 'ignore' }));
  await new Promise((r) => setTimeout(r, 1500));
  const pids = new Set(dumps.map((d) => String(d.pid)));
  const isDump = (_cmd, _cgroup, pid) => pids.has(pid);
  const dumpBefore = cpuSeconds(isDump);
  const dumpSeconds = ping(env);
  const dumpCpu = cpuSeconds(isDump) - dumpBefore;
  for (const d of dumps) d.kill('SIGINT');
  await Promise.all(dumps.map((d) => new Promise((r) => d.on('close', r))));

  const pct = (cpu, s) => `${((100 * cpu) / s).toFixed(1)} % of a core`;
  console.log(`  rate on each of h2's 5 hops: ${pps.toFixed(0)} packets/s (${Math.max(...h2Counts)} packets in ${seconds.toFixed(1)} s)`);
  console.log(`  hoptrace helper on h2 (agent + capture helper): ${helperCpu.toFixed(2)} s CPU = ${pct(helperCpu, seconds)}`);
  if (dumpCpu > 0) {
    console.log(`  5 x tcpdump -w /dev/null on the same hops:     ${dumpCpu.toFixed(2)} s CPU = ${pct(dumpCpu, dumpSeconds)} (over ${dumpSeconds.toFixed(1)} s)`);
    console.log(`  ratio helper / tcpdump (CPU per second): ${((helperCpu / seconds) / (dumpCpu / dumpSeconds)).toFixed(1)}`);
  } else {
    // /proc counts CPU in clock ticks: tcpdump's mmap ring written to /dev/null stays under one.
    console.log(`  5 x tcpdump -w /dev/null on the same hops:     under one clock tick (${(1000 / TICK).toFixed(0)} ms) of CPU over ${dumpSeconds.toFixed(1)} s: < ${pct(1 / TICK, dumpSeconds)}`);
  }
}

await main();
