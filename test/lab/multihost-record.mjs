#!/usr/bin/env node
// Records overlay trace directories from the live multi-host lab, for the correlator's tests:
//   sudo HT_LAB_ID=v7 test/lab/multihost.sh up && npm run build
//   sudo HT_LAB_ID=v7 node test/lab/multihost-record.mjs [scenario...]
// Each scenario -> test/overlay/captures/<scenario>/: path.json (hops in path order, each with
// its "host") and one pcap per hop, by tcpdump in that hop's own namespace. The hops are the
// ones src/discover/overlay.ts finds on each host. Scenarios:
//   overlay-ping       c1 (h1) pings c2 (h2), 3 echoes: 10 hops, VXLAN on both uplinks
//   overlay-underlay-drop  same, with iptables DROP of UDP 4789 in h2's INPUT: requests reach h2's uplink only
//   overlay-out        c1 pings 203.0.113.2 (the outside host): eth1 -> docker_gwbridge -> eth0, MASQUERADE
import Docker from 'dockerode';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectOverlayFacts, overlayPath } from '../../dist/discover/overlay.js';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '../overlay/captures');
const env = Object.fromEntries(execFileSync('bash', [join(here, 'multihost.sh'), 'env'], { encoding: 'utf8' })
  .split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
const engine = (h) => new Docker({ socketPath: `${env.HT_MH_DIR}/${h}/docker.sock` });
const sh = (argv) => execFileSync(argv[0], argv.slice(1), { encoding: 'utf8' });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function pathOn(h, container) {
  const host = { label: h, path: `/var/run/netns/${env[`HT_NS_${h.toUpperCase()}`]}` };
  const { facts, namespaces } = await collectOverlayFacts(engine(h), container, env.HT_OVERLAY_NET, host);
  return overlayPath(facts, namespaces);
}

/** tcpdump on each hop in its own namespace; resolves once every one is listening. */
async function startCaptures(dir, hops) {
  const procs = [];
  for (const [i, hop] of hops.entries()) {
    const file = `${String(i + 1).padStart(2, '0')}-${hop.host}-${hop.name.replace(/[^A-Za-z0-9_.-]+/g, '-')}.pcap`;
    const p = spawn('nsenter', [`--net=${hop.where}`, 'tcpdump', '-Z', 'root', '-nn', '--immediate-mode', '-i', hop.iface, '-w', join(dir, file), '-U', '-s', '262144'],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    await new Promise((resolve, reject) => {
      p.stderr.on('data', (d) => { err += d; if (err.includes('listening on')) resolve(); });
      p.on('exit', () => reject(new Error(`tcpdump on ${hop.host} ${hop.iface} exited: ${err}`)));
    });
    procs.push({ p, file, hop, err: () => err });
  }
  return procs;
}

async function stopCaptures(procs) {
  await sleep(500);
  const stoppedAt = (Date.now() / 1000).toFixed(6);
  for (const { p } of procs) p.kill('SIGINT');
  await Promise.all(procs.map(({ p }) => new Promise((r) => (p.exitCode !== null ? r() : p.on('exit', r)))));
  for (const { err, file } of procs) if (/[1-9]\d* packets dropped by kernel/.test(err())) throw new Error(`tcpdump lost packets: ${file}`);
  return Number(stoppedAt);
}

const hopsOf = (path, h) => path.hops.map((hop, i) => ({ ...hop, host: h, where: path.where[i].path }));

async function record(name, description, hops, traffic) {
  const dir = join(out, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const procs = await startCaptures(dir, hops);
  try {
    await traffic();
  } finally {
    const stoppedAt = await stopCaptures(procs);
    const doc = { description, stoppedAt, hops: procs.map(({ file, hop }) => ({ file, name: `${hop.host} ${hop.name}`, role: hop.role, netns: hop.netns, iface: hop.iface, addrs: hop.addrs, host: hop.host })) };
    writeFileSync(join(dir, 'path.json'), `${JSON.stringify(doc, null, 2)}\n`);
  }
  for (const { file } of procs) console.error(`record: ${name}/${file}: ${sh(['sh', '-c', `tcpdump -nn -r '${join(dir, file)}' 2>/dev/null | wc -l`]).trim()} packets`);
}

const docker = (h, ...args) => sh([env.HT_DOCKER_CLI, '-H', `unix://${env.HT_MH_DIR}/${h}/docker.sock`, ...args]);
const c2ip = () => docker('h2', 'inspect', '-f', `{{(index .NetworkSettings.Networks "${env.HT_OVERLAY_NET}").IPAddress}}`, 'c2').trim();
const ping = (to, n = 3) => sh(['sh', '-c', `${env.HT_DOCKER_CLI} -H unix://${env.HT_MH_DIR}/h1/docker.sock exec c1 ping -c ${n} -W 1 ${to} || true`]);

const scenarios = {
  'overlay-ping': async () => {
    const [p1, p2] = [await pathOn('h1', 'c1'), await pathOn('h2', 'c2')];
    ping(c2ip(), 1); // warm-up, outside the capture
    await record('overlay-ping', `c1 on h1 pings c2 on h2 (${c2ip()}) over the swarm overlay ${env.HT_OVERLAY_NET} (VNI ${p1.network.vni}), 3 echoes; VXLAN UDP ${p1.network.udpPort} between 203.0.113.1 and 203.0.113.3 on both uplinks`,
      [...hopsOf(p1, 'h1'), ...hopsOf(p2, 'h2').reverse()], async () => void ping(c2ip()));
  },
  'overlay-underlay-drop': async () => {
    const [p1, p2] = [await pathOn('h1', 'c1'), await pathOn('h2', 'c2')];
    const ns2 = `/var/run/netns/${env.HT_NS_H2}`;
    ping(c2ip(), 1);
    sh(['nsenter', `--net=${ns2}`, 'iptables', '-I', 'INPUT', '1', '-p', 'udp', '--dport', '4789', '-j', 'DROP']);
    try {
      await record('overlay-underlay-drop', `as overlay-ping, with 'iptables -I INPUT -p udp --dport 4789 -j DROP' on h2: the VXLAN requests reach h2's eth0 and go no further, no reply`,
        [...hopsOf(p1, 'h1'), ...hopsOf(p2, 'h2').reverse()], async () => void ping(c2ip()));
    } finally {
      sh(['nsenter', `--net=${ns2}`, 'iptables', '-D', 'INPUT', '-p', 'udp', '--dport', '4789', '-j', 'DROP']);
    }
  },
  'overlay-out': async () => {
    const p1 = await pathOn('h1', 'c1');
    ping(env.HT_OUTSIDE_ADDR, 1);
    await record('overlay-out', `c1 (overlay container on h1) pings the outside host ${env.HT_OUTSIDE_ADDR}: eth1 -> docker_gwbridge -> eth0, MASQUERADE ${p1.outside.subnet} -> 203.0.113.1`,
      p1.outside.hops.map((hop, i) => ({ ...hop, host: 'h1', where: p1.outside.where[i].path })), async () => void ping(env.HT_OUTSIDE_ADDR));
  },
};

for (const name of process.argv.length > 2 ? process.argv.slice(2) : Object.keys(scenarios)) {
  if (!scenarios[name]) throw new Error(`unknown scenario ${name}; known: ${Object.keys(scenarios).join(', ')}`);
  await scenarios[name]();
}
