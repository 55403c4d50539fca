// The multi-host lab itself (root: network namespaces, two dockerds, a swarm).
// Brings the lab up, pings container to container across hosts over the overlay while
// tcpdump on h2's uplink sees the VXLAN frames, and checks that `down` (and a failed `up`)
// leave nothing behind.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labAvailable, labUnavailableReason } from './lab.js';
import { createMultihost, type Multihost } from './multihost.js';

const ourNamespaces = (lab: Multihost): string[] => {
  const mine = [lab.env.hosts.h1.ns, lab.env.hosts.h2.ns, lab.env.nsUnderlay, lab.env.nsOutside];
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]!)
    .filter((n) => mine.includes(n));
};

function expectNothingLeft(lab: Multihost): void {
  expect(ourNamespaces(lab)).toEqual([]);
  expect(existsSync(lab.env.stateDir)).toBe(false);
  const mounts = execFileSync('cat', ['/proc/self/mountinfo'], { encoding: 'utf8' });
  expect(mounts.includes(`${lab.env.stateDir}/`)).toBe(false);
  const procs = execFileSync('sh', ['-c', `pgrep -f -- '[${lab.env.stateDir[0]}]${lab.env.stateDir.slice(1)}/' || true`], { encoding: 'utf8' }).trim();
  expect(procs).toBe('');
}

/** tcpdump on one interface of a lab namespace until `count` frames or `ms` pass; its -nn -v lines. */
function tcpdump(ns: string, iface: string, filter: string, count: number, ms: number): { ready: Promise<void>; lines: Promise<string[]> } {
  const child = spawn('timeout', [String(ms / 1000), 'nsenter', `--net=/var/run/netns/${ns}`, 'tcpdump', '-i', iface, '-nn', '-l', '-c', String(count), filter],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const ready = new Promise<void>((resolve) => child.stderr.on('data', (d: Buffer) => d.toString().includes('listening on') && resolve()));
  const lines = new Promise<string[]>((resolve) => child.on('close', () => resolve(out.split('\n').filter(Boolean))));
  return { ready, lines };
}

describe.skipIf(!labAvailable())(`multi-host lab (${labUnavailableReason() ?? 'root'})`, () => {
  const lab = createMultihost(process.env.HT_LAB_ID || 'mh');

  beforeAll(() => lab.down());
  afterAll(() => lab.down());

  it('a failed up removes everything it had made', () => {
    expect(() => lab.up({ timeoutSeconds: 0 })).toThrow(/did not answer within 0s/);
    expectNothingLeft(lab);
  });

  it('comes up as a swarm of two hosts, the second engine reached over TCP on the underlay', () => {
    const started = Date.now();
    lab.up();
    console.log(`multi-host lab up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(lab.status()).toBe(true);
    const info = (h: 'h1' | 'h2'): string =>
      lab.docker(h, 'info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}} {{.Swarm.NodeAddr}}').trim();
    expect(info('h1')).toBe('active true 203.0.113.1');
    expect(info('h2')).toBe('active false 203.0.113.3');
    expect(lab.env.hosts.h2.dockerHost).toBe('tcp://203.0.113.3:2375');
    lab.up(); // idempotent: a second up finds it up and changes nothing
    expect(lab.status()).toBe(true);
  });

  it('c1 on h1 pings c2 on h2 over the overlay, inside VXLAN on the underlay', async () => {
    const c2 = lab.overlayAddress('h2', 'c2');
    const c1 = lab.overlayAddress('h1', 'c1');
    const vni = lab.docker('h1', 'network', 'inspect', '-f', '{{index .Options "com.docker.network.driver.overlay.vxlanid_list"}}', lab.env.overlayNet).trim();
    expect(c2).toMatch(/^198\.18\.100\.\d+$/);
    const dump = tcpdump(lab.env.hosts.h2.ns, 'eth0', 'udp port 4789', 4, 20_000);
    await dump.ready;
    const ping = lab.docker('h1', 'exec', 'c1', 'ping', '-c', '2', '-W', '2', c2);
    expect(ping).toMatch(/2 packets transmitted, 2 packets received/);
    // tcpdump prints a VXLAN frame as two lines: the outer UDP, then the inner packet.
    const lines = await dump.lines;
    expect(lines).toHaveLength(8);
    expect(lines[0]).toMatch(new RegExp(`IP 203\\.0\\.113\\.1\\.\\d+ > 203\\.0\\.113\\.3\\.4789: VXLAN, flags \\[I\\] \\(0x08\\), vni ${vni}$`));
    expect(lines[1]).toContain(`IP ${c1} > ${c2}: ICMP echo request`);
    expect(lines[2]).toMatch(new RegExp(`IP 203\\.0\\.113\\.3\\.\\d+ > 203\\.0\\.113\\.1\\.4789: VXLAN, flags \\[I\\] \\(0x08\\), vni ${vni}$`));
    expect(lines[3]).toContain(`IP ${c2} > ${c1}: ICMP echo reply`);
  });

  it('down removes namespaces, daemons, mounts and state, and leaves no VXLAN link', () => {
    lab.down();
    expectNothingLeft(lab);
    // Read-only look at this process's own namespace: no VXLAN link escaped the lab.
    const vxlans = JSON.parse(execFileSync('ip', ['-j', 'link', 'show', 'type', 'vxlan'], { encoding: 'utf8' }) || '[]') as unknown[];
    expect(vxlans).toEqual([]);
  });
});
