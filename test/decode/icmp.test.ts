import { describe, expect, it } from 'vitest';
import { bytes, concat, ethernet, icmpEcho, icmpError, ipv4, ipv6, ipv6Bytes, ipv6Options, SYN, tcp, udp } from './builders.js';
import { ipOf } from './decode-helpers.js';

const v4 = (payload: Uint8Array, src = '203.0.113.1', dst = '198.18.0.2') => ethernet(0x0800, ipv4({ src, dst, proto: 1, ttl: 64 }, payload));
const v6 = (payload: Uint8Array) => ethernet(0x86dd, ipv6({ src: '2001:db8::1', dst: '2001:db8::2', next: 58 }, payload));

describe('ICMP echo', () => {
  it('request and reply carry id and seq', () => {
    expect(ipOf(1, v4(icmpEcho(8, 0x1c2d, 3, bytes(56)))).l4).toEqual({ kind: 'icmp', v6: false, type: 8, code: 0, id: 0x1c2d, seq: 3, quoted: undefined });
    expect(ipOf(1, v4(icmpEcho(0, 0x1c2d, 3, bytes(56)))).l4).toMatchObject({ type: 0, id: 0x1c2d, seq: 3 });
  });

  it('ICMPv6 echo request and reply', () => {
    expect(ipOf(1, v6(icmpEcho(128, 9, 1, bytes(8)))).l4).toEqual({ kind: 'icmp', v6: true, type: 128, code: 0, id: 9, seq: 1, quoted: undefined });
    expect(ipOf(1, v6(icmpEcho(129, 9, 1))).l4).toMatchObject({ type: 129, id: 9, seq: 1 });
  });

  it('an echo header cut before id and seq is marked', () => {
    const frame = v4(icmpEcho(8, 1, 2));
    expect(ipOf(1, frame.subarray(0, 14 + 20 + 6), frame.length)).toMatchObject({ truncated: 'icmp header', l4: { type: 8, id: undefined, seq: undefined } });
  });
});

describe('ICMP errors decode the packet they quote', () => {
  it('port unreachable quoting a UDP DNS query', () => {
    const query = ipv4({ src: '198.18.0.2', dst: '203.0.113.53', proto: 17, ttl: 63, id: 0x4d2 }, udp({ sport: 41000, dport: 53 }, bytes(33)));
    const ip = ipOf(1, v4(icmpError(3, 3, query)));
    expect(ip.l4).toMatchObject({ kind: 'icmp', v6: false, type: 3, code: 3, id: undefined, seq: undefined });
    if (ip.l4.kind !== 'icmp') throw new Error('not icmp');
    expect(ip.l4.quoted).toMatchObject({ version: 4, src: '198.18.0.2', dst: '203.0.113.53', ttl: 63, ipId: 0x4d2, length: 61, proto: 17 });
    expect(ip.l4.quoted?.l4).toEqual({ kind: 'udp', sport: 41000, dport: 53, length: 41, payloadLen: 33 });
    expect(ip.l4.quoted?.truncated).toBeUndefined();
  });

  it('time exceeded quoting only 8 bytes of TCP: ports and seq are there, flags are not, and it says so', () => {
    const syn = ipv4({ src: '198.18.0.2', dst: '203.0.113.80', proto: 6, ttl: 1, id: 55 }, tcp({ sport: 40001, dport: 80, seq: 123456789, flags: SYN }));
    const ip = ipOf(1, v4(icmpError(11, 0, syn.subarray(0, 28))));
    if (ip.l4.kind !== 'icmp') throw new Error('not icmp');
    expect(ip.l4.quoted).toMatchObject({ src: '198.18.0.2', dst: '203.0.113.80', ttl: 1, ipId: 55, length: 40, truncated: 'tcp header' });
    expect(ip.l4.quoted?.l4).toEqual({ kind: 'tcp', sport: 40001, dport: 80, seq: 123456789, ack: 0, flags: 0, window: 0, payloadLen: 0 });
    expect(ip.truncated).toBeUndefined();
  });

  it('a quoted echo request keeps its id and seq', () => {
    const ping = ipv4({ src: '198.18.0.2', dst: '203.0.113.7', proto: 1, ttl: 1 }, icmpEcho(8, 77, 5, bytes(56)));
    const ip = ipOf(1, v4(icmpError(11, 0, ping.subarray(0, 28))));
    if (ip.l4.kind !== 'icmp') throw new Error('not icmp');
    expect(ip.l4.quoted?.l4).toEqual({ kind: 'icmp', v6: false, type: 8, code: 0, id: 77, seq: 5, quoted: undefined });
  });

  it('parameter problem, redirect and source quench quote too', () => {
    const inner = ipv4({ proto: 17 }, udp({ sport: 1, dport: 2 }));
    for (const type of [12, 5, 4]) {
      const ip = ipOf(1, v4(icmpError(type, 0, inner)));
      expect(ip.l4).toMatchObject({ type, quoted: { l4: { kind: 'udp', sport: 1, dport: 2 } } });
    }
  });

  it('ICMPv6 unreachable, packet too big, time exceeded and parameter problem quote IPv6 with extension headers', () => {
    const inner = ipv6({ src: '2001:db8::2', dst: '2001:db8:9::1', next: 60, hopLimit: 1 }, ipv6Options(17, [], udp({ sport: 30000, dport: 13000 }, bytes(4))));
    for (const type of [1, 2, 3, 4]) {
      const ip = ipOf(1, v6(icmpError(type, 0, inner, [0, 0, 5, 0xdc])));
      expect(ip.l4).toMatchObject({ kind: 'icmp', v6: true, type, quoted: { version: 6, src: '2001:db8::2', dst: '2001:db8:9::1', ttl: 1, proto: 17 } });
      if (ip.l4.kind === 'icmp') expect(ip.l4.quoted?.l4).toEqual({ kind: 'udp', sport: 30000, dport: 13000, length: 12, payloadLen: 4 });
    }
  });

  it('an ICMPv6 redirect quotes the packet in its Redirected Header option', () => {
    const inner = ipv6({ src: '2001:db8::2', dst: '2001:db8:5::5', next: 17 }, udp({ sport: 4000, dport: 5000 }));
    const redirect = concat([137, 0, 0, 0, 0, 0, 0, 0], ipv6Bytes('fe80::1'), ipv6Bytes('2001:db8:5::5'), [4, 1 + inner.length / 8, 0, 0, 0, 0, 0, 0], inner);
    expect(ipOf(1, v6(redirect)).l4).toMatchObject({ type: 137, quoted: { dst: '2001:db8:5::5', l4: { kind: 'udp', sport: 4000, dport: 5000 } } });
    const bare = concat([137, 0, 0, 0, 0, 0, 0, 0], ipv6Bytes('fe80::1'), ipv6Bytes('2001:db8:5::5'));
    expect(ipOf(1, v6(bare))).toMatchObject({ l4: { type: 137, quoted: undefined }, truncated: undefined });
  });

  it('an error whose quote is cut before the IP header ends says so', () => {
    const ip = ipOf(1, v4(icmpError(3, 1, ipv4({ proto: 17 }, udp({ sport: 1, dport: 2 })).subarray(0, 12))));
    expect(ip).toMatchObject({ truncated: 'icmp quoted ip header', l4: { type: 3, code: 1, quoted: undefined } });
  });

  it('the payloadHash of an error is the quoted payload, not the quoted headers NAT rewrites', () => {
    const original = ipv4({ src: '198.18.0.2', proto: 17, id: 1 }, udp({ sport: 41000, dport: 53 }, bytes(20)));
    const natted = ipv4({ src: '203.0.113.1', proto: 17, id: 1 }, udp({ sport: 61000, dport: 53 }, bytes(20)));
    const a = ipOf(1, v4(icmpError(3, 3, original)));
    const b = ipOf(1, v4(icmpError(3, 3, natted)));
    expect(a.payloadHash).not.toBe(0);
    expect(a.payloadHash).toBe(b.payloadHash);
  });
});

describe('other ICMP types', () => {
  it('give type and code only', () => {
    expect(ipOf(1, v4(concat([13, 0, 0, 0, 0, 1, 0, 2], bytes(12)))).l4).toEqual({ kind: 'icmp', v6: false, type: 13, code: 0, id: undefined, seq: undefined, quoted: undefined });
    expect(ipOf(1, v6(concat([135, 0, 0, 0, 0, 0, 0, 0], ipv6Bytes('2001:db8::9')))).l4).toMatchObject({ v6: true, type: 135, code: 0, quoted: undefined });
  });
});
