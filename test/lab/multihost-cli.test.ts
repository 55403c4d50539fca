// The real command across two Docker hosts (root, the multi-host lab): `hoptrace ping|tcp
// --host h1=unix://... --host h2=tcp://203.0.113.3:2375`, run in the lab's outside namespace
// (the only one that reaches h2's engine). Lab destinations only: c2 198.18.100.x on the
// overlay, the outside host 203.0.113.2.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labAvailable, labUnavailableReason } from './lab.js';
import { createMultihost, OVERLAY_PATH, overlayTunnelSteps } from './multihost.js';
import { HELPER_REPO, packageVersion, planHelperImage } from '../../src/capture/remote/image.js';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'hoptrace.js');

describe.skipIf(!labAvailable())(`hoptrace across two Docker hosts (${labUnavailableReason() ?? 'root'})`, () => {
  const lab = createMultihost(process.env.HT_LAB_ID || 'mh');
  const { h1, h2 } = lab.env.hosts;
  const hosts = ['--host', `h1=${h1.dockerHost}`, '--host', `h2=${h2.dockerHost}`];
  const [ip, helpers] = [lab.overlayAddress, lab.helperIds];
  let c1 = '';
  let c2 = '';
  const hoptrace = (args: string[]) => {
    const r = spawnSync('nsenter', [`--net=/var/run/netns/${lab.env.nsOutside}`, process.execPath, BIN, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const names = (report: { hops: { name: string }[] }) => report.hops.map((h) => h.name);

  beforeAll(() => {
    lab.up();
    [c1, c2] = [ip('h1', 'c1'), ip('h2', 'c2')];
  });
  afterAll(() => lab.down());

  it('ping c1 (h1) -> c2 (h2): ok on all ten hops of both hosts, VXLAN shown at both uplinks, no NAT, kernel timestamps within each host; --record replays to the same flows', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-mh-'));
    try {
      const { code, stdout, stderr } = hoptrace(['ping', 'c1', c2, '-c', '3', '-i', '0.3', '--json', '--record', dir, ...hosts]);
      expect(stderr).toMatch(/ping -c 3 -i 0\.3 .* on host h1: exit 0/);
      expect(code).toBe(0);
      const report = JSON.parse(stdout);
      expect(names(report)).toEqual(OVERLAY_PATH);
      expect(report.summary.packetsPerHop).toEqual([6, 6, 6, 6, 6, 6, 6, 6, 6, 6]);
      expect(report.flows).toHaveLength(1);
      const flow = report.flows[0];
      expect([flow.verdict, flow.initiator, flow.responder, flow.packets]).toEqual(['ok', c1, c2, { request: 3, reply: 3 }]);
      expect(flow.rewrites).toEqual([]);
      expect(flow.findings).toEqual([]);
      expect(report.summary.warnings).toEqual([]);
      expect(flow.tunnels.steps).toEqual(overlayTunnelSteps(h1.addr, h2.addr, expect.any(Number)));
      // Across the hosts the latency is given to the clocks' uncertainty only.
      const across = flow.latency.filter((s: { between: string[] }) => s.between.includes('h1 eth0') && s.between.includes('h2 eth0'));
      expect(across).toHaveLength(2);
      for (const step of across) {
        expect(step.uncertaintyUs).toBeGreaterThan(0);
        expect(Math.abs(step.avgUs % step.uncertaintyUs)).toBe(0);
      }
      // Kernel timestamps on every remote hop: nanoseconds stated, and within one host the
      // latencies are the kernel's (never negative, fractions of a microsecond), not rounded to the clocks.
      expect(report.summary.timestamps).toMatch(/^taken by the kernel as each hop's capture saw the packet \(libpcap's packet header, in nanoseconds\), on each host's own real-time clock, .*between hops of one host as precise as the kernel's/);
      const hostOf = new Map(report.hops.map((h: { name: string; host: string }) => [h.name, h.host]));
      const within = flow.latency.filter((s: { between: string[] }) => hostOf.get(s.between[0]) === hostOf.get(s.between[1]));
      expect(within).toHaveLength(16);
      for (const step of within) {
        expect(step.minUs).toBeGreaterThanOrEqual(0);
        expect(step.uncertaintyUs).toBeUndefined();
      }
      expect(within.some((s: { minUs: number }) => s.minUs % 1 !== 0)).toBe(true);
      // The kernel's counts come back from both hosts' helpers.
      for (const [i, hop] of report.hops.entries()) expect(hop.kernel).toEqual({ received: report.summary.packetsPerHop[i], dropped: 0, ifDropped: 0 });
      // Both engines run the helper image of exactly this checkout's files (patched cap included).
      const plan = await planHelperImage(packageVersion());
      for (const h of ['h1', 'h2'] as const) expect(lab.docker(h, 'images', HELPER_REPO, '--format', '{{.Repository}}:{{.Tag}}').trim()).toBe(plan.tag);
      const doc = JSON.parse(fs.readFileSync(path.join(dir, 'path.json'), 'utf8'));
      expect(doc.hops.map((h: { host: string }) => h.host)).toEqual(['h1', 'h1', 'h1', 'h1', 'h1', 'h2', 'h2', 'h2', 'h2', 'h2']);
      const replayed = JSON.parse(spawnSync(process.execPath, [BIN, 'replay', '--json', dir], { encoding: 'utf8' }).stdout);
      expect(replayed.flows).toEqual(report.flows);
      expect(replayed.summary.packetsPerHop).toEqual(report.summary.packetsPerHop);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect([helpers('h1'), helpers('h2')]).toEqual(['', '']);
  });

  it('tcp c1 -> c2:8080 across hosts: ok, the handshake matched through the tunnel, no NAT', () => {
    lab.docker('h2', 'exec', '-d', 'c2', 'nc', '-l', '-p', '8080');
    const { code, stdout } = hoptrace(['tcp', 'c1', `${c2}:8080`, '--timeout', '2', '--json', ...hosts]);
    const flow = JSON.parse(stdout).flows.find((f: { proto: string }) => f.proto === 'tcp');
    expect(code).toBe(0);
    expect([flow.verdict, flow.responder, flow.rewrites, flow.tunnels.insideAt]).toEqual(['ok', `${c2}:8080`, [], ['h1 eth0', 'h2 eth0']]);
  });

  it('a drop on the underlay (UDP 4789 dropped on h2): dropped after h2 eth0, inside the tunnel; exit 1', () => {
    const rule = ['INPUT', '-p', 'udp', '--dport', '4789', '-j', 'DROP'];
    lab.exec(h2.ns, ['iptables', '-I', ...rule]);
    try {
      const { code, stdout } = hoptrace(['ping', 'c1', c2, '-c', '2', '-i', '0.3', '--text', ...hosts]);
      expect(code).toBe(1);
      expect(stdout).toContain('       x requests vanished between h2 eth0 and h2 overlay:ht-overlay vxlan0, inside the tunnel\n');
      expect(stdout).toContain(`  verdict: dropped: requests vanished between h2 eth0 and h2 overlay:ht-overlay vxlan0, inside the tunnel (last seen at h2 eth0).\n`);
      expect(stdout).toContain(`       | VXLAN VNI `);
    } finally {
      lab.exec(h2.ns, ['iptables', '-D', ...rule]);
    }
  });

  it('c1 to the outside host through docker_gwbridge: SNAT to h1\'s address shown, no tunnel', () => {
    const { code, stdout } = hoptrace(['ping', 'c1', lab.env.outsideAddr, '-c', '2', '-i', '0.3', '--json', ...hosts]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(names(report).slice(2)).toEqual(['h1 docker_gwbridge', 'h1 eth0']);
    const flow = report.flows[0];
    expect(flow.verdict).toBe('ok');
    expect(flow.tunnels).toBeUndefined();
    expect(flow.rewrites.filter((r: { direction: string }) => r.direction === 'request')).toEqual([
      { between: ['h1 docker_gwbridge', 'h1 eth0'], direction: 'request', field: 'src', from: flow.initiator, to: h1.addr },
    ]);
  });

  it('Ctrl-C ends the trace with a report, no helper container is left on either host, the ping in c1 ends too', async () => {
    const child = spawn('nsenter', [`--net=/var/run/netns/${lab.env.nsOutside}`, process.execPath, BIN, 'ping', 'c1', c2, '-c', '1000', '-i', '0.2', '--text', ...hosts], { env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`never started capturing: ${err}`)), 90_000);
      child.stderr.on('data', () => /ok \(\d+ requests?/.test(err) && (clearTimeout(timer), resolve()));
    });
    expect(helpers('h1')).not.toBe('');
    expect(helpers('h2')).not.toBe('');
    child.kill('SIGINT');
    await new Promise((resolve) => child.on('close', resolve));
    expect(out).toContain('flow 1: icmp');
    expect([helpers('h1'), helpers('h2')]).toEqual(['', '']);
    // The traffic ended with the trace: no ping left running in c1.
    expect(lab.docker('h1', 'exec', 'c1', 'ps')).not.toContain('ping -c 1000');
  });

  it('a host lost during the trace (its helper killed) ends that host\'s hops with a warning; the other host\'s hops go on', async () => {
    const child = spawn('nsenter', [`--net=/var/run/netns/${lab.env.nsOutside}`, process.execPath, BIN, 'ping', 'c1', c2, '-c', '1000', '-i', '0.2', '--json', ...hosts], { env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const until = (re: RegExp, what: string) => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what}: ${err}`)), 60_000);
      const check = () => re.test(err) && (clearTimeout(timer), resolve());
      check();
      child.stderr.on('data', check);
    });
    // JSON mode says nothing while it runs; discovery's short-lived helpers carry the same
    // label: the capture helper is the one started with taps.
    const captureHelper = (): string => lab.docker('h2', 'ps', '-q', '--no-trunc', '--filter', 'label=org.hoptrace.helper', '--format', '{{.ID}} {{.Command}}')
      .split('\n').filter((l) => l.includes('taps')).map((l) => l.split(' ')[0]).join(' ');
    for (let i = 0; i < 300 && captureHelper() === ''; i++) await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 3000));
    lab.docker('h2', 'rm', '-f', captureHelper());
    await until(/warning: host h2: .*its hops \(h2 eth0, h2 overlay:ht-overlay vxlan0, h2 overlay:ht-overlay br0, h2 overlay:ht-overlay veth1, h2 c2 eth0\) end here/, 'no warning about h2');
    const before = (await new Promise((r) => setTimeout(r, 1500)), err.length);
    child.kill('SIGINT');
    await new Promise((resolve) => child.on('close', resolve));
    expect(err.length).toBeGreaterThanOrEqual(before);
    const report = JSON.parse(out);
    expect(report.summary.warnings.some((w: string) => w.startsWith('host h2: '))).toBe(true);
    // h1's hops kept capturing after h2 was lost: more requests at c1 eth0 than at c2 eth0.
    expect(report.summary.packetsPerHop[0]).toBeGreaterThan(report.summary.packetsPerHop[9]);
    expect([helpers('h1'), helpers('h2')]).toEqual(['', '']);
    // Only the capture was lost, the network was not: the requests sent after h2's end are
    // not captured at h2 eth0, never vanished, and their answers came back to h1: ok.
    const [flow] = report.flows;
    const gone = flow.findings.find((f: { code: string }) => f.code === 'not-captured');
    expect(gone).toMatchObject({ code: 'not-captured', direction: 'request', at: 'h2 eth0' });
    expect(gone.message).toBe(`${gone.count} requests could reach h2 eth0 only after its capture had ended (its host was lost): not captured there, so not known to be dropped`);
    expect(gone.unanswered).toBeUndefined();
    expect(flow.findings.filter((f: { code: string }) => f.code === 'partial-loss')).toEqual([]);
    expect([flow.verdict, flow.dropBetween]).toEqual(['ok', null]);
  });

  it('h2 over ssh:// (Docker\'s dial-stdio): the same ten hops, ok; latency across the hosts rounded to the wider ssh uncertainty', (ctx) => {
    if (!lab.env.h2Ssh) ctx.skip(); // no sshd in the lab (openssh-server not installed)
    const r = spawnSync('nsenter', [`--net=/var/run/netns/${lab.env.nsOutside}`, process.execPath, BIN, 'ping', 'c1', c2, '-c', '2', '-i', '0.3', '--json', '--host', `h1=${h1.dockerHost}`, '--host', `h2=${lab.env.h2Ssh}`], {
      encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1', HOME: lab.env.sshHome },
    });
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(names(report).slice(4, 6)).toEqual(['h1 eth0', 'h2 eth0']);
    expect(report.flows[0].verdict).toBe('ok');
    const h2Hop = report.hops.find((h: { host: string }) => h.host === 'h2');
    expect(h2Hop.clockUncertaintyUs).toBeGreaterThan(report.hops[0].clockUncertaintyUs);
    const across = report.flows[0].latency.find((s: { between: string[] }) => s.between[0] === 'h1 eth0' && s.between[1] === 'h2 eth0');
    expect(across.uncertaintyUs).toBe(Math.ceil(report.hops[0].clockUncertaintyUs + h2Hop.clockUncertaintyUs));
  });

  it('an encrypted overlay (--opt encrypted): the uplinks (ESP only) are left out of the path, the report says so, and the loss is placed between the two vxlan0 (this kernel has no XFRM: Docker\'s SAs fail, VXLAN goes out in clear and h2\'s policy rule drops it)', () => {
    const enc = 'ht-enc-test';
    lab.docker('h1', 'network', 'create', '-d', 'overlay', '--opt', 'encrypted', '--attachable', '--subnet', '198.18.102.0/24', enc);
    try {
      lab.docker('h1', 'run', '-d', '--name', 'e1', '--network', enc, lab.env.image, 'sleep', '1d');
      lab.docker('h2', 'run', '-d', '--name', 'e2', '--network', enc, lab.env.image, 'sleep', '1d');
      const e2 = lab.docker('h2', 'inspect', '-f', `{{(index .NetworkSettings.Networks "${enc}").IPAddress}}`, 'e2').trim();
      const { code, stdout, stderr } = hoptrace(['ping', 'e1', e2, '-c', '2', '-i', '0.3', '--json', ...hosts]);
      const report = JSON.parse(stdout);
      const caveat = `${enc} is an encrypted overlay (--opt encrypted: IPsec ESP between the hosts' underlay addresses): its packets cannot be matched at the uplinks, which are left out of the path; between h1 overlay:${enc} vxlan0 and h2 overlay:${enc} vxlan0 they travel encrypted, and a packet lost there is not placed more precisely`;
      expect(stderr).toContain(`hoptrace: warning: ${caveat}\n`);
      expect(report.summary.warnings).toEqual([caveat]);
      expect(names(report)).toEqual([
        'h1 e1 eth0', `h1 overlay:${enc} veth1`, `h1 overlay:${enc} br0`, `h1 overlay:${enc} vxlan0`,
        `h2 overlay:${enc} vxlan0`, `h2 overlay:${enc} br0`, `h2 overlay:${enc} veth1`, 'h2 e2 eth0',
      ]);
      expect(code).toBe(1);
      const flow = report.flows[0];
      expect([flow.verdict, flow.dropBetween, flow.packets]).toEqual(['dropped', [`h1 overlay:${enc} vxlan0`, `h2 overlay:${enc} vxlan0`], { request: 2, reply: 0 }]);
      expect(report.summary.packetsPerHop).toEqual([2, 2, 2, 2, 0, 0, 0, 0]);
    } finally {
      lab.docker('h1', 'rm', '-f', 'e1');
      lab.docker('h2', 'rm', '-f', 'e2');
      lab.docker('h1', 'network', 'rm', enc);
    }
  });

  it('h2 cut off by a partition (its underlay port taken off the bridge: no reset, no EOF): its hops end with a warning within the keepalive bound, h1 carries on to the report, the pings after the cut are not captured at h2 eth0, not vanished; h2\'s helper stops itself once the link is back', async () => {
    const child = spawn('nsenter', [`--net=/var/run/netns/${lab.env.nsOutside}`, process.execPath, BIN, 'ping', 'c1', c2, '-c', '1000', '-i', '0.2', '--json', ...hosts], { env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const until = (check: () => boolean, what: string, ms = 60_000) => new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const timer = setInterval(() => {
        if (check()) (clearInterval(timer), resolve());
        else if (Date.now() - started > ms) (clearInterval(timer), reject(new Error(`${what}: ${err}`)));
      }, 100);
    });
    const captureHelper = (): string => lab.docker('h2', 'ps', '-q', '--no-trunc', '--filter', 'label=org.hoptrace.helper', '--format', '{{.ID}} {{.Command}}')
      .split('\n').filter((l) => l.includes('taps')).map((l) => l.split(' ')[0]).join(' ');
    const cut = ['ip', 'link', 'set', 'p-h2', 'nomaster'];
    try {
      await until(() => captureHelper() !== '', 'no capture helper on h2');
      // JSON mode says nothing while it runs: some echoes through both hosts first.
      await new Promise((r) => setTimeout(r, 3000));
      lab.exec(lab.env.nsUnderlay, cut);
      const cutAt = Date.now();
      await until(() => /warning: host h2: connection lost: nothing heard from its capture helper for \d+ s; its hops \(h2 eth0, .*h2 c2 eth0\) end here/.test(err), 'no warning about h2', 30_000);
      // SILENCE_MS (5 s) of silence, checked every second; well within 12 s even on a loaded machine.
      expect(Date.now() - cutAt).toBeLessThan(12_000);
      const atWarning = (out.length, Date.now());
      await new Promise((r) => setTimeout(r, 2000));
      child.kill('SIGINT');
      const code = await new Promise((resolve) => child.on('close', resolve));
      // The end does not hang on the lost host's API (one bounded try to remove its helper).
      expect(Date.now() - atWarning).toBeLessThan(15_000);
      const report = JSON.parse(out);
      const [flow] = report.flows;
      // The pings sent after h2 was last heard from crossed h1's hops and were not captured at
      // h2 eth0: counted so, never as vanished between h1 eth0 and h2 eth0 (it said
      // "partial-loss: 39 of 57 requests vanished between h1 eth0 and h2 eth0" before).
      const gone = flow.findings.find((f: { code: string }) => f.code === 'not-captured');
      expect(gone).toMatchObject({ code: 'not-captured', direction: 'request', at: 'h2 eth0' });
      expect(gone.count).toBeGreaterThanOrEqual(10);
      // The partition also kept their answers from coming back (h1's own hops saw none): not ok.
      expect(gone.unanswered).toBeGreaterThanOrEqual(10);
      expect(gone.unanswered).toBeLessThanOrEqual(gone.count);
      expect(gone.message).toBe(`${gone.count} requests could reach h2 eth0 only after its capture had ended (its host was lost): not captured there, so not known to be dropped; no answer came back for ${gone.unanswered} of them`);
      expect(flow.verdict).toBe('partial');
      // No loss is placed at or after h2's hops. A loss on h1 (seen once: 2 requests between h1's
      // vxlan0 and h1 eth0, h1's neighbour entry for the cut-off h2 failing) is h1's own capture
      // speaking, and true.
      const intoH2 = flow.findings.filter((f: { code: string; between?: string[] }) => f.code === 'partial-loss' && f.between?.some((h) => h.startsWith('h2 ')));
      expect(intoH2).toEqual([]);
      expect(flow.verdict).not.toBe('dropped');
      expect((flow.dropBetween ?? []).filter((h: string) => !h.startsWith('h1 '))).toEqual([]);
      expect(code).toBe(flow.verdict === 'ok' ? 0 : 1);
      expect(report.summary.warnings.filter((w: string) => w.startsWith('host h2: '))).toEqual([
        expect.stringMatching(/^host h2: connection lost: nothing heard from its capture helper for \d+ s; its hops \(h2 eth0, .*h2 c2 eth0\) end here, the other hosts' go on; a packet that could reach those hops in their last second heard from or later is counted as not captured there, not as vanished$/),
      ]);
      // h1's hops kept capturing after h2 was cut off.
      expect(report.summary.packetsPerHop[0]).toBeGreaterThan(report.summary.packetsPerHop[9]);
      expect(report.hops[0].kernel.received).toBe(report.summary.packetsPerHop[0]);
      expect(helpers('h1')).toBe('');
    } finally {
      child.kill('SIGKILL');
      lab.exec(lab.env.nsUnderlay, ['ip', 'link', 'set', 'p-h2', 'master', 'ul0']);
    }
    // Back on the network, h2's helper heard no heartbeat for 10 s and stopped: nothing left there.
    await until(() => helpers('h2') === '', 'helper left on h2', 40_000);
    // And the swarm's gossip gives h1 c2's endpoint again (the tests after this one discover it
    // from h1's view of the overlay: without the wait they can find no peer there yet).
    await until(() => lab.docker('h1', 'network', 'inspect', '--verbose', 'ht-overlay').includes(`"${c2}"`), 'h1 never saw c2 again', 90_000);
  });

  describe('watch across hosts', () => {
    const watch = (args: string[]) => {
      const child = spawn('nsenter', [`--net=/var/run/netns/${lab.env.nsOutside}`, process.execPath, BIN, 'watch', 'c1', ...args, ...hosts], { env: { ...process.env, NO_COLOR: '1' } });
      const io = { out: '', err: '' };
      child.stdout.on('data', (d: Buffer) => (io.out += d));
      child.stderr.on('data', (d: Buffer) => (io.err += d));
      const until = (re: RegExp, what: string) => new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${what}: ${io.err}`)), 90_000);
        const check = () => re.test(io.err) && (clearTimeout(timer), resolve());
        check();
        child.stderr.on('data', check);
      });
      const ended = new Promise<number | null>((resolve) => child.on('close', resolve));
      return { child, io, until, ended };
    };

    it('watch c1 --text: both hosts\' hops, the container\'s own echo to c2 followed through the tunnel; Ctrl-C gives the report', async () => {
      const w = watch(['--text']);
      try {
        await w.until(/capturing on h1 c1 eth0, .*h2 c2 eth0 \(Ctrl-C to stop\)/, 'never capturing');
        lab.docker('h1', 'exec', 'c1', 'ping', '-c', '3', '-i', '0.3', c2);
        await w.until(new RegExp(`flow 1: icmp ${c1} -> ${c2}: ok`), 'no flow line');
        w.child.kill('SIGINT');
        expect(await w.ended).toBe(0);
      } finally {
        w.child.kill('SIGKILL');
      }
      expect(w.io.out).toContain(`path: 1. h1 c1 eth0 (${c1})  2. h1 overlay:ht-overlay veth1  `);
      expect(w.io.out).toContain(`  10. h2 c2 eth0 (${c2})\n`);
      expect(w.io.out).toContain(`flow 1: icmp ${c1} -> ${c2}: ok (3 requests, 3 replies)\n`);
      expect(w.io.out).toContain('  verdict: ok: requests reached h2 c2 eth0 and the answers came back.\n');
      expect(w.io.out).toContain(': requests encapsulated between h1 overlay:ht-overlay vxlan0 and h1 eth0; replies decapsulated the other way\n');
      expect([helpers('h1'), helpers('h2')]).toEqual(['', '']);
    });

    it('watch c1 icmp --json: the pcap filter keeps the echo and leaves out a TCP connection to c2, at the uplinks too (no flow seen only in the tunnel); ten hops on two hosts', async () => {
      lab.docker('h2', 'exec', '-d', 'c2', 'nc', '-l', '-p', '8081');
      const w = watch(['icmp', '--json']);
      setTimeout(() => w.child.kill('SIGKILL'), 150_000).unref();
      const captureHelper = (): string => lab.docker('h2', 'ps', '-q', '--no-trunc', '--filter', 'label=org.hoptrace.helper', '--format', '{{.ID}} {{.Command}}')
        .split('\n').filter((l) => l.includes('taps')).join(' ');
      for (let i = 0; i < 450 && captureHelper() === ''; i++) await new Promise((r) => setTimeout(r, 200));
      // JSON mode says nothing while it runs: give the helpers a moment to open every tap.
      await new Promise((r) => setTimeout(r, 3000));
      lab.docker('h1', 'exec', 'c1', 'ping', '-c', '2', '-i', '0.3', c2);
      lab.docker('h1', 'exec', 'c1', 'sh', '-c', `echo hello | nc -w 1 ${c2} 8081`);
      await new Promise((r) => setTimeout(r, 1500));
      w.child.kill('SIGINT');
      expect(await w.ended).toBe(0);
      const report = JSON.parse(w.io.out);
      expect(names(report)).toEqual(OVERLAY_PATH);
      expect(report.flows.map((f: { proto: string; verdict: string; packets: object }) => [f.proto, f.verdict, f.packets])).toEqual([['icmp', 'ok', { request: 2, reply: 2 }]]);
      expect(report.summary.packetsPerHop).toEqual(Array(10).fill(4));
    });

    it('watch c1 in the terminal UI (tmux): both hosts\' hops drawn, the flow ok, q quits with the report, exit 0', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ht-mh-tui-'));
      const sock = path.join(dir, 'tmux.sock');
      const tmux = (...args: string[]) => spawnSync('tmux', ['-S', sock, '-f', '/dev/null', ...args], { encoding: 'utf8' }).stdout;
      const shown = async (text: string) => {
        for (let i = 0; i < 900; i++) {
          const screen = tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', 'tui');
          if (screen.includes(text)) return screen;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`${text} never shown:\n${tmux('capture-pane', '-p', '-J', '-t', 'tui')}`);
      };
      try {
        // In CI, Ink draws only the last frame: the terminal here is real, so CI is unset (as in test/tui/terminal.test.ts).
        const command = ['env', '-u', 'CI', '-u', 'CONTINUOUS_INTEGRATION', 'nsenter', `--net=/var/run/netns/${lab.env.nsOutside}`, process.execPath, BIN, 'watch', 'c1', '--tui', ...hosts].join(' ');
        tmux('new-session', '-d', '-s', 'tui', '-x', '120', '-y', '40', '-e', 'NO_COLOR=1', '-c', ROOT, `${command}; echo EXIT=$?; sleep 600`);
        const running = await shown('● running');
        expect(running).toContain('1 h1 c1');
        expect(running).toContain('10 h2 c2');
        lab.docker('h1', 'exec', 'c1', 'ping', '-c', '2', '-i', '0.3', c2);
        const flow = await shown('✓ ok');
        expect(flow).toContain(`1 icmp   ${c1} → ${c2}  ✓ ok`);
        tmux('send-keys', '-t', 'tui', 'q');
        const after = await shown('EXIT=');
        expect(after).toContain('  verdict: ok: requests reached h2 c2 eth0 and the answers came back.');
        expect(after).toMatch(/EXIT=0\b/);
      } finally {
        tmux('kill-server');
        fs.rmSync(dir, { recursive: true, force: true });
      }
      expect([helpers('h1'), helpers('h2')]).toEqual(['', '']);
    });
  });

  it('one host unreachable at start: one error naming it, exit 4', () => {
    const { code, stdout, stderr } = hoptrace(['ping', 'c1', c2, '-c', '1', '--text', '--host', `h1=${h1.dockerHost}`, '--host', `h2=tcp://${h2.addr}:2999`]);
    expect(stdout).toBe('');
    expect(stderr).toBe(`hoptrace: host h2 (tcp://${h2.addr}:2999): Docker engine unreachable: ECONNREFUSED\n`);
    expect(code).toBe(4);
  });
});
