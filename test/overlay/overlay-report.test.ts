// The overlay traces recorded in the multi-host lab, replayed through the real command: the
// full report (the inner packet matched on all ten hops, the VXLAN carrier named where the
// packet went into and came out of the tunnel, no latency across hosts whose clocks were not
// compared), a clock-compared copy, and traces where no tunnel line may appear.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.join(__dirname, '..', '..');
const CAPTURES = path.join(__dirname, 'captures');

function hoptrace(args: string[]) {
  const result = spawnSync('node', [path.join(ROOT, 'bin', 'hoptrace.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' },
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const lines = (text: string[]) => `${text.join('\n')}\n`;

describe('replaying the recorded overlay traces', () => {
  it('overlay-ping: ok on all ten hops, the VXLAN carrier at both uplinks, no latency between the hosts, no NAT', () => {
    const { code, stdout, stderr } = hoptrace(['replay', path.join(CAPTURES, 'overlay-ping')]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe(
      lines([
        'path: 1. h1 c1 eth0 (198.18.100.2)  2. h1 overlay:ht-overlay veth1  3. h1 overlay:ht-overlay br0 (198.18.100.1)  4. h1 overlay:ht-overlay vxlan0  5. h1 eth0 (203.0.113.1)  6. h2 eth0 (203.0.113.3)  7. h2 overlay:ht-overlay vxlan0  8. h2 overlay:ht-overlay br0 (198.18.100.1)  9. h2 overlay:ht-overlay veth1  10. h2 c2 eth0 (198.18.100.4)',
        'packets per hop: h1 c1 eth0 6, h1 overlay:ht-overlay veth1 6, h1 overlay:ht-overlay br0 6, h1 overlay:ht-overlay vxlan0 6, h1 eth0 14, h2 eth0 14, h2 overlay:ht-overlay vxlan0 6, h2 overlay:ht-overlay br0 6, h2 overlay:ht-overlay veth1 6, h2 c2 eth0 6',
        'timestamps: taken from the capture files (each hop by its own capture)',
        'hosts: h1 (hops 1-5), h2 (hops 6-10); clocks not compared: no latency is shown between hops on different hosts',
        'left out: 1 flow of other hosts on the shared hops',
        '',
        'flow 1: icmp 198.18.100.2 -> 198.18.100.4: ok (3 requests, 3 replies)',
        '   1. h1 c1 eth0',
        '       | requests 20 us (11..35 us) ttl same, replies 3.3 us (3..4 us) ttl same',
        '   2. h1 overlay:ht-overlay veth1',
        '       | requests 73.3 us (38..142 us) ttl same, replies -1.7 us (-2..-1 us) ttl same',
        '   3. h1 overlay:ht-overlay br0',
        '       | requests -58.7 us (-128..-24 us) ttl same, replies 4 us (4..4 us) ttl same',
        '   4. h1 overlay:ht-overlay vxlan0',
        '       | requests 18 us (17..20 us) ttl same, replies 5.7 us (5..6 us) ttl same',
        '       | VXLAN VNI 4097, underlay 203.0.113.1 -> 203.0.113.3, UDP 4789: requests encapsulated between h1 overlay:ht-overlay vxlan0 and h1 eth0; replies decapsulated the other way',
        '   5. h1 eth0',
        '       | requests (no latency: clocks not compared) ttl same, replies (no latency: clocks not compared) ttl same',
        '   6. h2 eth0',
        '       | requests 21.7 us (21..22 us) ttl same, replies 4 us (3..5 us) ttl same',
        '       | VXLAN VNI 4097, underlay 203.0.113.1 -> 203.0.113.3, UDP 4789: requests decapsulated between h2 eth0 and h2 overlay:ht-overlay vxlan0; replies encapsulated the other way',
        '   7. h2 overlay:ht-overlay vxlan0',
        '       | requests 21.3 us (11..39 us) ttl same, replies -6 us (-7..-5 us) ttl same',
        '   8. h2 overlay:ht-overlay br0',
        '       | requests -14 us (-32..-4 us) ttl same, replies 8.3 us (7..9 us) ttl same',
        '   9. h2 overlay:ht-overlay veth1',
        '       | requests 54.7 us (8..144 us) ttl same, replies 2.3 us (2..3 us) ttl same',
        '  10. h2 c2 eth0',
        '  verdict: ok: requests reached h2 c2 eth0 and the answers came back.',
        '',
        '1 flow, 0 not ok',
      ]),
    );
  });

  it('overlay-underlay-drop: the requests vanish after h2 eth0 while still inside the tunnel; exit 1', () => {
    const { code, stdout, stderr } = hoptrace(['replay', path.join(CAPTURES, 'overlay-underlay-drop')]);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(stdout).toBe(
      lines([
        'path: 1. h1 c1 eth0 (198.18.100.2)  2. h1 overlay:ht-overlay veth1  3. h1 overlay:ht-overlay br0 (198.18.100.1)  4. h1 overlay:ht-overlay vxlan0  5. h1 eth0 (203.0.113.1)  6. h2 eth0 (203.0.113.3)  7. h2 overlay:ht-overlay vxlan0  8. h2 overlay:ht-overlay br0 (198.18.100.1)  9. h2 overlay:ht-overlay veth1  10. h2 c2 eth0 (198.18.100.4)',
        'packets per hop: h1 c1 eth0 3, h1 overlay:ht-overlay veth1 3, h1 overlay:ht-overlay br0 3, h1 overlay:ht-overlay vxlan0 3, h1 eth0 13, h2 eth0 13, h2 overlay:ht-overlay vxlan0 0, h2 overlay:ht-overlay br0 0, h2 overlay:ht-overlay veth1 0, h2 c2 eth0 0',
        'timestamps: taken from the capture files (each hop by its own capture)',
        'hosts: h1 (hops 1-5), h2 (hops 6-10); clocks not compared: no latency is shown between hops on different hosts',
        'left out: 1 flow of other hosts on the shared hops',
        '',
        'flow 1: icmp 198.18.100.2 -> 198.18.100.4: dropped (3 requests, 0 replies)',
        '   1. h1 c1 eth0',
        '       | requests 11.7 us (11..13 us) ttl same',
        '   2. h1 overlay:ht-overlay veth1',
        '       | requests 38.7 us (37..40 us) ttl same',
        '   3. h1 overlay:ht-overlay br0',
        '       | requests -23.7 us (-25..-23 us) ttl same',
        '   4. h1 overlay:ht-overlay vxlan0',
        '       | requests 16.3 us (16..17 us) ttl same',
        '       | VXLAN VNI 4097, underlay 203.0.113.1 -> 203.0.113.3, UDP 4789: requests encapsulated between h1 overlay:ht-overlay vxlan0 and h1 eth0',
        '   5. h1 eth0',
        '       | requests (no latency: clocks not compared) ttl same',
        '   6. h2 eth0',
        '       x requests vanished between h2 eth0 and h2 overlay:ht-overlay vxlan0, inside the tunnel',
        '   7. h2 overlay:ht-overlay vxlan0',
        '   8. h2 overlay:ht-overlay br0',
        '   9. h2 overlay:ht-overlay veth1',
        '  10. h2 c2 eth0',
        '  verdict: dropped: requests vanished between h2 eth0 and h2 overlay:ht-overlay vxlan0, inside the tunnel (last seen at h2 eth0).',
        '',
        'why: not known: these captures come without the host\'s state (firewall rules and their counters, conntrack, settings), which `hoptrace --record` writes to host.json beside the pcaps',
        '',
        '1 flow, 1 not ok',
      ]),
    );
  });

  it('overlay-out: SNAT at docker_gwbridge -> eth0, and neither a tunnel line nor a hosts line (one host, no tunnel)', () => {
    const { code, stdout, stderr } = hoptrace(['replay', path.join(CAPTURES, 'overlay-out')]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe(
      lines([
        'path: 1. h1 c1 eth1 (198.18.64.3)  2. h1 veth9d6e389  3. h1 docker_gwbridge (198.18.64.1)  4. h1 eth0 (203.0.113.1)',
        'packets per hop: h1 c1 eth1 6, h1 veth9d6e389 6, h1 docker_gwbridge 6, h1 eth0 11',
        'timestamps: taken from the capture files (each hop by its own capture)',
        'left out: 2 flows of other hosts on the shared hops',
        '',
        'flow 1: icmp 198.18.64.3 -> 203.0.113.2: ok (3 requests, 3 replies)',
        '   1. h1 c1 eth1',
        '       | requests 11.7 us (9..15 us) ttl same, replies 1 us (1..1 us) ttl same',
        '   2. h1 veth9d6e389',
        '       | requests 16.3 us (12..22 us) ttl same, replies 3 us (3..3 us) ttl same',
        '   3. h1 docker_gwbridge',
        '       | requests 23 us (22..24 us) ttl -1, replies 6.3 us (6..7 us) ttl -1',
        '       | SNAT src 198.18.64.3 -> 203.0.113.1 between h1 docker_gwbridge and h1 eth0',
        '       | un-SNAT dst 203.0.113.1 -> 198.18.64.3 between h1 eth0 and h1 docker_gwbridge (replies)',
        '   4. h1 eth0',
        '  verdict: ok: requests reached h1 eth0 and the answers came back.',
        '',
        'why: not known: these captures come without the host\'s state (firewall rules and their counters, conntrack, settings), which `hoptrace --record` writes to host.json beside the pcaps',
        '',
        '1 flow, 0 not ok',
      ]),
    );
  });

  it('the JSON report carries the tunnel steps as values, the hops that saw the packets inside, and no finding', () => {
    const { code, stdout } = hoptrace(['replay', '--json', path.join(CAPTURES, 'overlay-ping')]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    const flow = report.flows[0];
    const carrier = (src: string, dst: string) => ({ kind: 'vxlan', vni: 4097, outer: { src, dst, dport: 4789 } });
    expect(flow.tunnels).toEqual({
      steps: [
        { between: ['h1 overlay:ht-overlay vxlan0', 'h1 eth0'], direction: 'request', ...carrier('203.0.113.1', '203.0.113.3'), action: 'encapsulated' },
        { between: ['h2 eth0', 'h2 overlay:ht-overlay vxlan0'], direction: 'request', ...carrier('203.0.113.1', '203.0.113.3'), action: 'decapsulated' },
        { between: ['h2 overlay:ht-overlay vxlan0', 'h2 eth0'], direction: 'reply', ...carrier('203.0.113.3', '203.0.113.1'), action: 'encapsulated' },
        { between: ['h1 eth0', 'h1 overlay:ht-overlay vxlan0'], direction: 'reply', ...carrier('203.0.113.3', '203.0.113.1'), action: 'decapsulated' },
      ],
      insideAt: ['h1 eth0', 'h2 eth0'],
    });
    // The carrier's source port is a hash of the inner flow: no capture-gap, no no-snat from it.
    expect(flow.findings).toEqual([]);
    expect(flow.rewrites).toEqual([]);
    expect(flow.latency.filter((s: { between: string[] }) => s.between.includes('h1 eth0') && s.between.includes('h2 eth0'))).toEqual([]);
    expect(report.hops.map((h: { host?: string }) => h.host)).toEqual(['h1', 'h1', 'h1', 'h1', 'h1', 'h2', 'h2', 'h2', 'h2', 'h2']);
  });

  it('with the hosts\' clock uncertainty in path.json, the step between the uplinks is given to that precision and no finer', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-overlay-clock-'));
    try {
      const source = path.join(CAPTURES, 'overlay-ping');
      for (const file of fs.readdirSync(source)) fs.copyFileSync(path.join(source, file), path.join(dir, file));
      const doc = JSON.parse(fs.readFileSync(path.join(dir, 'path.json'), 'utf8'));
      for (const hop of doc.hops) hop.clockUncertaintyUs = hop.host === 'h1' ? 0 : 3000;
      fs.writeFileSync(path.join(dir, 'path.json'), JSON.stringify(doc));
      const text = hoptrace(['replay', dir]).stdout.split('\n');
      expect(text[3]).toBe('hosts: h1 (hops 1-5), h2 (hops 6-10); clocks agree to h1 +- 0 us, h2 +- 3.00 ms after the measured offsets: latency across hosts is shown no finer than that');
      expect(text[text.indexOf('   5. h1 eth0') + 1]).toBe(
        '       | requests 0 us +- 3.00 ms (clocks of two hosts) ttl same, replies 0 us +- 3.00 ms (clocks of two hosts) ttl same',
      );
      const flow = JSON.parse(hoptrace(['replay', '--json', dir]).stdout).flows[0];
      const across = flow.latency.filter((s: { between: string[] }) => s.between.includes('h1 eth0') && s.between.includes('h2 eth0'));
      expect(across.map((s: object) => ({ ...s, samples: 3 }))).toEqual([
        { between: ['h1 eth0', 'h2 eth0'], direction: 'request', samples: 3, minUs: 0, avgUs: 0, maxUs: 0, uncertaintyUs: 3000 },
        { between: ['h2 eth0', 'h1 eth0'], direction: 'reply', samples: 3, minUs: 0, avgUs: 0, maxUs: 0, uncertaintyUs: 3000 },
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a single-host trace without a tunnel has no tunnel line, no hosts line and no tunnels in its JSON', () => {
    const { stdout } = hoptrace(['replay', path.join(ROOT, 'fixtures', 'ping-out')]);
    expect(stdout).not.toMatch(/VXLAN|tunnel|hosts:|clocks/);
    const report = JSON.parse(hoptrace(['replay', '--json', path.join(ROOT, 'fixtures', 'ping-out')]).stdout);
    expect(report.flows.every((f: object) => !('tunnels' in f))).toBe(true);
  });
});
