// The pure parts of remote capture: Docker endpoint forms, the clock offset bound, and how the
// in-container agent groups taps and forwards records.
import { describe, expect, it } from 'vitest';
import { offsetFromSamples, parseRfc3339Ns, rfc3339ResolutionNs } from '../../src/capture/remote/clock.js';
import { dockerOptions, EndpointError } from '../../src/capture/remote/endpoint.js';
import { reencode, tapsByNetns } from '../../src/capture/remote/agent.js';
import { encodeMessage, encodePacket, RecordType, WireReader } from '../../src/capture/live/wire.js';

describe('Docker endpoints', () => {
  it('reads unix, tcp and ssh forms as the docker CLI writes them', () => {
    expect(dockerOptions('unix:///run/ht-mh-v7/h1/docker.sock', {})).toEqual({ socketPath: '/run/ht-mh-v7/h1/docker.sock' });
    expect(dockerOptions('tcp://203.0.113.3:2375', {})).toEqual({ host: '203.0.113.3', port: 2375, protocol: 'http' });
    expect(dockerOptions('tcp://203.0.113.3', {})).toEqual({ host: '203.0.113.3', port: 2375, protocol: 'http' });
    expect(dockerOptions('tcp://203.0.113.3', { DOCKER_TLS_VERIFY: '1' })).toEqual({ host: '203.0.113.3', port: 2376, protocol: 'https' });
    expect(dockerOptions('tcp://[2001:db8::3]:2375', {})).toEqual({ host: '2001:db8::3', port: 2375, protocol: 'http' });
    expect(dockerOptions('ssh://ops@203.0.113.3:2222', { SSH_AUTH_SOCK: '/tmp/agent' }))
      .toEqual({ protocol: 'ssh', host: '203.0.113.3', port: 2222, username: 'ops', sshOptions: { agent: '/tmp/agent' } });
    expect(dockerOptions('ssh://203.0.113.3', {})).toEqual({ protocol: 'ssh', host: '203.0.113.3', port: 22, username: undefined, sshOptions: {} });
  });

  it('refuses what is not an endpoint, naming it', () => {
    expect(() => dockerOptions('203.0.113.3:2375', {})).toThrow(new EndpointError('203.0.113.3:2375: not a Docker endpoint (unix:///path, tcp://host:port or ssh://user@host)'));
    expect(() => dockerOptions('http://203.0.113.3', {})).toThrow('http://203.0.113.3: unknown scheme http; use unix://, tcp:// or ssh://');
    expect(() => dockerOptions('unix://docker.sock', {})).toThrow('unix://docker.sock: a unix endpoint needs an absolute socket path');
  });
});

describe('clock offset', () => {
  it('keeps the tightest round trip and bounds the offset by half of it', () => {
    const s = (sent: number, received: number, remote: number) => ({ sentNs: BigInt(sent), receivedNs: BigInt(received), remoteNs: BigInt(remote) });
    const offset = offsetFromSamples([s(1000, 9000, 50_000), s(20_000, 21_000, 70_600), s(30_000, 34_000, 80_000)]);
    // Tightest: sent 20000, back 21000, read 70600: midpoint 20500 -> offset 50100 +- 500.
    expect(offset).toEqual({ offsetNs: 50_100n, uncertaintyNs: 500n, samples: 3 });
  });

  it('adds the remote reading\'s resolution, rounds the bound up, and refuses backwards samples', () => {
    expect(offsetFromSamples([{ sentNs: 0n, receivedNs: 3n, remoteNs: 10n }], 1000n)).toEqual({ offsetNs: 8n, uncertaintyNs: 1002n, samples: 1 });
    expect(() => offsetFromSamples([{ sentNs: 5n, receivedNs: 4n, remoteNs: 0n }])).toThrow(RangeError);
  });

  it("reads Docker's SystemTime with its nanoseconds and zone", () => {
    expect(parseRfc3339Ns('2026-11-30T04:40:09.123456789Z')).toBe(1_796_013_609_123_456_789n);
    expect(parseRfc3339Ns('2026-11-30T05:40:09.5+01:00')).toBe(1_796_013_609_500_000_000n);
    expect(parseRfc3339Ns('2026-11-30T04:40:09Z')).toBe(1_796_013_609_000_000_000n);
    expect(parseRfc3339Ns('yesterday')).toBeUndefined();
    expect(rfc3339ResolutionNs('2026-11-30T04:40:09.123456789Z')).toBe(1n);
    expect(rfc3339ResolutionNs('2026-11-30T04:40:09.123Z')).toBe(1_000_000n);
    expect(rfc3339ResolutionNs('2026-11-30T04:40:09Z')).toBe(1_000_000_000n);
  });
});

describe('remote agent', () => {
  it('starts one helper per namespace, the host namespace as its own group', () => {
    const taps = [
      { hop: 0, iface: 'eth0', filter: 'icmp', netns: '/proc/7/ns/net' },
      { hop: 1, iface: 'veth1', filter: 'icmp', netns: '/run/docker/netns/1-abc' },
      { hop: 2, iface: 'vxlan0', filter: 'icmp', netns: '/run/docker/netns/1-abc' },
      { hop: 3, iface: 'eth0', filter: 'udp port 4789' },
    ];
    expect([...tapsByNetns(taps)].map(([ns, t]) => [ns, t.map((x) => x.hop)])).toEqual([['/proc/7/ns/net', [0]], ['/run/docker/netns/1-abc', [1, 2]], ['', [3]]]);
  });

  it('forwards records unchanged, and a corrupt helper stream as a problem on its first hop', () => {
    const reader = new WireReader();
    const packet = encodePacket(2, 1_796_013_609, 123, 148, new Uint8Array([1, 2, 3]));
    const ready = encodeMessage(RecordType.READY, 2, JSON.stringify({ linkType: 1, iface: 'vxlan0', precision: 'nano' }));
    const stats = encodeMessage(RecordType.STATS, 2, JSON.stringify({ received: 9, dropped: 1, ifDropped: 0, captured: 8, final: true }));
    const problem = encodeMessage(RecordType.PROBLEM, 2, 'vxlan0: gone');
    for (const b of [packet, ready, stats, problem]) expect(reencode(reader.push(b)[0]!, 2)).toEqual(b);
    const corrupt = new WireReader().push(Buffer.from([0xff, 0xff, 0xff, 0x7f, 0]))[0]!;
    expect(new WireReader().push(reencode(corrupt, 5))).toEqual([{ type: 'problem', hop: 5, message: 'helper stream: record length 2147483647 at offset 0 is impossible' }]);
  });
});

describe('ssh identity', () => {
  it('uses the agent when there is one, else the first default key file, else nothing', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { sshIdentity } = await import('../../src/capture/remote/endpoint.js');
    const home = mkdtempSync(join(tmpdir(), 'ht-ssh-'));
    try {
      expect(sshIdentity({ SSH_AUTH_SOCK: '/tmp/agent.sock', HOME: home })).toEqual({ agent: '/tmp/agent.sock' });
      expect(sshIdentity({ HOME: home })).toEqual({});
      mkdirSync(join(home, '.ssh'));
      writeFileSync(join(home, '.ssh', 'id_rsa'), 'rsa key');
      expect(sshIdentity({ HOME: home })).toEqual({ privateKey: Buffer.from('rsa key') });
      writeFileSync(join(home, '.ssh', 'id_ed25519'), 'ed25519 key');
      expect(sshIdentity({ HOME: home })).toEqual({ privateKey: Buffer.from('ed25519 key') });
    } finally {
      rmSync(home, { recursive: true });
    }
  });
});
