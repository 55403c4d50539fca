// Remote capture over the Docker Engine API, in the live multi-host lab (root).
// hoptrace's side runs in the lab's outside namespace (test/overlay/remote-driver.mjs), the
// only place that reaches h2's engine at tcp://203.0.113.3:2375: it loads the helper image,
// starts a helper on h2 with taps in c2's namespace, the overlay namespace and the host, and
// we ping c1 (h1) -> c2 (h2) across the overlay.
import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeShown } from '../decode/decode-helpers.js';
import type { OverlayPath } from '../../src/discover/overlay.js';
import { labAvailable, labUnavailableReason } from './lab.js';
import { createMultihost } from './multihost.js';

type Event = { event: string; [k: string]: unknown };
const driverPath = join(import.meta.dirname, '../overlay/remote-driver.mjs');

/** The driver in the outside namespace; its events as they come, and a way to wait for one. */
function startDriver(outsideNs: string, options: object, env: NodeJS.ProcessEnv = process.env): { child: ChildProcess; events: Event[]; until: (name: string, ms?: number) => Promise<Event> } {
  const child = spawn('nsenter', [`--net=/var/run/netns/${outsideNs}`, process.execPath, driverPath, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'inherit'], env });
  const events: Event[] = [];
  const waiters: [string, (e: Event) => void][] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const e = JSON.parse(line) as Event;
    events.push(e);
    for (const [name, resolve] of waiters) if (name === e.event) resolve(e);
  });
  const until = (name: string, ms = 60_000): Promise<Event> => {
    const seen = events.find((e) => e.event === name);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no '${name}' from the driver in ${ms} ms; got ${JSON.stringify(events.map((e) => e.event))}`)), ms);
      waiters.push([name, (e) => (clearTimeout(timer), resolve(e))]);
    });
  };
  return { child, events, until };
}

const ipv4At = (b: Buffer, off: number): string => [...b.subarray(off, off + 4)].join('.');

describe.skipIf(!labAvailable())(`remote capture over the Docker API (${labUnavailableReason() ?? 'root'})`, () => {
  const lab = createMultihost(process.env.HT_LAB_ID || 'mh');
  const h2 = lab.env.hosts.h2;
  const helpersOnH2 = (): string => lab.docker('h2', 'ps', '-aq', '--filter', 'label=org.hoptrace.helper').trim();

  beforeAll(() => void lab.up());
  afterAll(() => lab.down());

  it('captures the ping at c2 eth0, vxlan0 and h2 eth0 on h2 over TCP; VXLAN frames on the uplink; helper gone after stop', async () => {
    const ip = lab.overlayAddress;
    const [c1, c2] = [ip('h1', 'c1'), ip('h2', 'c2')];
    const vni = Number(lab.docker('h1', 'network', 'inspect', '-f', '{{index .Options "com.docker.network.driver.overlay.vxlanid_list"}}', lab.env.overlayNet).trim());
    const netId = lab.docker('h2', 'network', 'inspect', '-f', '{{.Id}}', lab.env.overlayNet).trim();
    const taps = [
      { hop: 0, iface: 'eth0', filter: 'icmp', netns: lab.containerNetns('h2', 'c2') },
      { hop: 1, iface: 'vxlan0', filter: 'icmp', netns: `${h2.execRoot}/netns/1-${netId.slice(0, 10)}` },
      { hop: 2, iface: 'eth0', filter: 'udp port 4789' },
    ];
    const driver = startDriver(lab.env.nsOutside, { name: 'h2', endpoint: h2.dockerHost, taps });
    const prepared = await driver.until('prepared', 120_000);
    console.log(`h2: helper image ready in ${String(prepared.ms)} ms`);
    const clock = await driver.until('clock');
    // Both "hosts" share this machine's clock: the true offset is 0, so it must lie within the bound.
    const offset = BigInt(clock.offsetNs as string);
    const uncertainty = BigInt(clock.uncertaintyNs as string);
    console.log(`h2 clock: offset ${offset} ns +- ${uncertainty} ns`);
    expect(offset < 0n ? -offset : offset).toBeLessThanOrEqual(uncertainty);
    expect(uncertainty).toBeLessThan(100_000_000n);
    await driver.until('all-ready');
    expect(driver.events.filter((e) => e.event === 'ready').map((e) => [e.hop, e.iface, e.linkType]).sort())
      .toEqual([[0, 'eth0', 1], [1, 'vxlan0', 1], [2, 'eth0', 1]]);
    expect(lab.docker('h1', 'exec', 'c1', 'ping', '-c', '2', '-W', '2', c2)).toMatch(/2 packets received/);
    const deadline = Date.now() + 10_000;
    while (driver.events.filter((e) => e.event === 'packet').length < 12 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    driver.child.stdin!.write('stop\n');
    const end = await driver.until('end');
    expect(end).toEqual({ event: 'end', exitCode: 0 });
    expect(helpersOnH2()).toBe('');

    const frames = (hop: number): Buffer[] => driver.events.filter((e) => e.event === 'packet' && e.hop === hop).map((e) => Buffer.from(e.hex as string, 'hex'));
    const icmp = (f: Buffer): [string, string, number, string[]] => {
      const d = decodeShown(1, f, f.length);
      if (!('ip' in d) || d.ip.l4.kind !== 'icmp') throw new Error(`not ICMP: ${JSON.stringify(d)}`);
      return [d.ip.src, d.ip.dst, d.ip.l4.type, d.encap];
    };
    const ping = [[c1, c2, 8], [c2, c1, 0], [c1, c2, 8], [c2, c1, 0]];
    expect(frames(0).map(icmp)).toEqual(ping.map((p) => [...p, []]));
    expect(frames(1).map(icmp)).toEqual(ping.map((p) => [...p, []]));
    // At the uplink the ping is the inner packet of VXLAN VNI <vni>, UDP 4789 between the hosts' underlay addresses.
    const uplink = frames(2);
    expect(uplink.map(icmp)).toEqual(ping.map((p) => [...p, [`vxlan ${vni}`]]));
    const underlay = [['203.0.113.1', '203.0.113.3'], ['203.0.113.3', '203.0.113.1']];
    expect(uplink.map((f) => [ipv4At(f, 26), ipv4At(f, 30), f[23], f.readUInt16BE(36), f.readUIntBE(46, 3)]))
      .toEqual([0, 1, 0, 1].map((i) => [...underlay[i]!, 17, 4789, vni]));
  });

  it("discovers c2's overlay path on h2 through a helper container, over TCP, as it is found locally", async () => {
    const driver = startDriver(lab.env.nsOutside, { name: 'h2', endpoint: h2.dockerHost, discover: { container: 'c2', network: lab.env.overlayNet }, taps: [] });
    const { path, ms } = (await driver.until('path', 120_000)) as unknown as { path: OverlayPath; ms: number };
    console.log(`h2: remote discovery in ${ms} ms`);
    const netId = lab.docker('h2', 'network', 'inspect', '-f', '{{.Id}}', lab.env.overlayNet).trim();
    expect(path.hops.map((h) => [h.role, h.netns, h.iface])).toEqual([
      ['container', 'container:c2', 'eth0'], ['veth', `overlay:${lab.env.overlayNet}`, expect.stringMatching(/^veth\d+$/)],
      ['bridge', `overlay:${lab.env.overlayNet}`, 'br0'], ['tunnel', `overlay:${lab.env.overlayNet}`, 'vxlan0'], ['uplink', 'h2', 'eth0'],
    ]);
    expect(path.where[1]!.path).toBe(`${h2.execRoot}/netns/1-${netId.slice(0, 10)}`);
    expect(path.where[0]!.path).toBe(lab.containerNetns('h2', 'c2'));
    const c1 = lab.overlayAddress('h1', 'c1');
    expect(path.peers.find((p) => p.addr === c1)).toMatchObject({ underlay: '203.0.113.1', sources: ['fdb', 'inspect'], name: 'c1' });
    expect(path.outside?.natRules).toEqual([`-A POSTROUTING -s ${path.outside?.subnet} ! -o docker_gwbridge -j MASQUERADE`, '-A DOCKER -i docker_gwbridge -j RETURN']);
    await new Promise((resolve) => driver.child.on('exit', resolve));
    expect(helpersOnH2()).toBe('');
  });

  it.skipIf(!lab.env.h2Ssh)('over ssh:// (sshd in h2\'s namespace): the VXLAN ping at the uplink, the clock within its bound, helper gone', async () => {
    const { SSH_AUTH_SOCK: _agent, ...env } = process.env;
    const driver = startDriver(lab.env.nsOutside, { name: 'h2', endpoint: lab.env.h2Ssh, taps: [{ hop: 0, iface: 'eth0', filter: 'udp port 4789' }] }, { ...env, HOME: lab.env.sshHome });
    const clock = await driver.until('clock', 120_000);
    const offset = BigInt(clock.offsetNs as string);
    console.log(`h2 over ssh: image ${String((await driver.until('prepared')).ms)} ms, clock offset ${offset} ns +- ${String(clock.uncertaintyNs)} ns`);
    expect(offset < 0n ? -offset : offset).toBeLessThanOrEqual(BigInt(clock.uncertaintyNs as string));
    await driver.until('all-ready', 60_000);
    const c2 = lab.overlayAddress('h2', 'c2');
    expect(lab.docker('h1', 'exec', 'c1', 'ping', '-c', '2', '-W', '2', c2)).toMatch(/2 packets received/);
    const deadline = Date.now() + 10_000;
    while (driver.events.filter((e) => e.event === 'packet').length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    driver.child.stdin!.write('stop\n');
    expect(await driver.until('end', 60_000)).toEqual({ event: 'end', exitCode: 0 });
    const uplink = driver.events.filter((e) => e.event === 'packet').map((e) => Buffer.from(e.hex as string, 'hex'));
    expect(uplink.map((f) => [ipv4At(f, 26), ipv4At(f, 30), f.readUInt16BE(36)])).toEqual([
      ['203.0.113.1', '203.0.113.3', 4789], ['203.0.113.3', '203.0.113.1', 4789], ['203.0.113.1', '203.0.113.3', 4789], ['203.0.113.3', '203.0.113.1', 4789],
    ]);
    expect(helpersOnH2()).toBe('');
  });

  it('a run killed without cleaning up leaves no helper: the engine sees stdin close, the helper exits, AutoRemove deletes it', async () => {
    const driver = startDriver(lab.env.nsOutside, { name: 'h2', endpoint: h2.dockerHost, crash: true, taps: [{ hop: 0, iface: 'eth0', filter: 'udp port 4789' }] });
    await driver.until('all-ready', 120_000);
    await new Promise((resolve) => driver.child.on('exit', resolve));
    const deadline = Date.now() + 15_000;
    while (helpersOnH2() !== '' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(helpersOnH2()).toBe('');
  });

  it("the next run removes helpers whose run is gone, and keeps a live run's", async () => {
    const label = (client: string): string[] => ['--label', 'org.hoptrace.helper=0.1.0', '--label', `org.hoptrace.client=${client}`];
    lab.docker('h2', 'run', '-d', '--name', 'stale-helper', ...label(`${hostname()}:999999999`), lab.env.image, 'sleep', '600');
    lab.docker('h2', 'run', '-d', '--name', 'live-helper', ...label(`${hostname()}:${process.pid}`), lab.env.image, 'sleep', '600');
    const driver = startDriver(lab.env.nsOutside, { name: 'h2', endpoint: h2.dockerHost, clockOnly: true, taps: [] });
    expect(await driver.until('leftovers')).toEqual({ event: 'leftovers', removed: 1 });
    await driver.until('clock');
    expect(lab.docker('h2', 'ps', '-a', '--filter', 'label=org.hoptrace.helper', '--format', '{{.Names}}').trim()).toBe('live-helper');
    lab.docker('h2', 'rm', '-f', 'live-helper');
  });

  it('an unreachable engine is one error naming the host and its endpoint', async () => {
    const driver = startDriver(lab.env.nsOutside, { name: 'h9', endpoint: 'tcp://203.0.113.9:2375', taps: [] });
    const error = await driver.until('error', 90_000);
    expect(error.message).toMatch(/^host h9 \(tcp:\/\/203\.0\.113\.9:2375\): Docker engine unreachable: (EHOSTUNREACH|ETIMEDOUT|ECONNREFUSED)$/);
    await new Promise((resolve) => driver.child.on('exit', resolve));
    expect(driver.child.exitCode).toBe(4);
  });
});
