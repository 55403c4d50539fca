import { describe, expect, it } from 'vitest';
import { authHeader, be32, bytes, concat, ethernet, icmpEcho, ipv6, ipv6Fragment, ipv6Options, tcp, udp, ipv6Bytes } from './builders.js';
import { ipOf, decodeShown } from './decode-helpers.js';

const HBH = 0, ROUTING = 43, FRAG = 44, AH = 51, DSTOPTS = 60, NONE = 59, TCP = 6, UDP = 17, ICMPV6 = 58;
const dns = udp({ sport: 40000, dport: 53 }, bytes(30));

function v6(next: number, payload: Uint8Array) {
  return ethernet(0x86dd, ipv6({ src: '2001:db8::2', dst: '2001:db8:1::9', next, hopLimit: 61 }, payload));
}

describe('IPv6 header fields', () => {
  it('src, dst, hop limit and payload length + 40', () => {
    const ip = ipOf(1, v6(UDP, dns));
    expect(ip).toMatchObject({ version: 6, src: '2001:db8::2', dst: '2001:db8:1::9', ttl: 61, ipId: 0, length: 78, proto: UDP });
    expect(ip.l4).toEqual({ kind: 'udp', sport: 40000, dport: 53, length: 38, payloadLen: 30 });
  });
});

describe('extension headers are walked to the transport header', () => {
  it('hop-by-hop, destination options, routing and AH in a chain', () => {
    const routing = [0, 1, 0, 0, 0, 0, ...ipv6Bytes('2001:db8:2::1')];
    const payload = ipv6Options(DSTOPTS, [5, 2, 0, 0], ipv6Options(ROUTING, [], ipv6Options(AH, routing, authHeader(TCP, tcp({ sport: 1234, dport: 443, seq: 77 })))));
    const ip = ipOf(1, v6(HBH, payload));
    expect(ip.proto).toBe(TCP);
    expect(ip.l4).toMatchObject({ kind: 'tcp', sport: 1234, dport: 443, seq: 77, payloadLen: 0 });
    expect(ip.truncated).toBeUndefined();
  });

  it('a first fragment: ipId is the fragment id, the transport header is decoded', () => {
    const ip = ipOf(1, v6(FRAG, ipv6Fragment(UDP, 0, true, 0xdeadbeef, dns)));
    expect(ip.ipId).toBe(0xdeadbeef);
    expect(ip.fragment).toEqual({ offset: 0, more: true });
    expect(ip.l4).toMatchObject({ kind: 'udp', dport: 53 });
  });

  it('a later fragment has no transport header', () => {
    const ip = ipOf(1, v6(FRAG, ipv6Fragment(UDP, 1448, false, 12, bytes(100))));
    expect(ip).toMatchObject({ ipId: 12, fragment: { offset: 1448, more: false }, proto: UDP, l4: { kind: 'other', proto: UDP } });
  });

  it('no next header (59): nothing after the header', () => {
    const ip = ipOf(1, v6(NONE, new Uint8Array()));
    expect(ip).toMatchObject({ length: 40, proto: NONE, l4: { kind: 'other', proto: NONE }, payloadHash: 0 });
  });

  it('a jumbogram takes its length from the hop-by-hop jumbo option', () => {
    const jumbo = ipv6Options(ICMPV6, [0xc2, 4, ...be32(65536)], icmpEcho(128, 4576, 51486, bytes(64)));
    const frame = ethernet(0x86dd, ipv6({ next: HBH, payloadLength: 0 }, jumbo));
    const ip = ipOf(1, frame, 14 + 40 + 65536);
    expect(ip.length).toBe(65576);
    expect(ip.l4).toMatchObject({ kind: 'icmp', v6: true, type: 128, id: 4576, seq: 51486 });
  });
});

describe('a payload length of 0 without a jumbo option', () => {
  it('is an offloaded super-packet for TCP: the frame gives the length', () => {
    const frame = ethernet(0x86dd, ipv6({ next: TCP, payloadLength: 0 }, tcp({ sport: 1, dport: 2 }, bytes(100))));
    expect(ipOf(1, frame.subarray(0, 120), 14 + 40 + 70000).length).toBe(70040);
  });

  it('means what it says for anything else: nothing after the header', () => {
    const frame = ethernet(0x86dd, ipv6({ next: ICMPV6, payloadLength: 0 }, icmpEcho(128, 1, 1)));
    expect(ipOf(1, frame)).toMatchObject({ length: 40, truncated: 'icmpv6 header', l4: { kind: 'other', proto: ICMPV6 } });
  });
});

describe('malformed or cut IPv6', () => {
  it('a bad version and a frame shorter than the fixed header are skipped', () => {
    const bad = ethernet(0x86dd, ipv6({ next: UDP, version: 0 }, dns));
    expect(decodeShown(1, bad, bad.length)).toEqual({ skip: 'ipv6 version 0 != 6' });
    const short = v6(UDP, dns).subarray(0, 14 + 39);
    expect(decodeShown(1, short, short.length)).toEqual({ skip: 'ipv6 length 39 < 40' });
    expect(decodeShown(1, short, 200)).toEqual({ skip: 'truncated ipv6 header' });
  });

  it('an extension header cut short keeps the addresses and says where', () => {
    const frame = v6(HBH, ipv6Options(UDP, new Array(20).fill(0), dns));
    const ip = ipOf(1, frame.subarray(0, 14 + 40 + 8), frame.length);
    expect(ip).toMatchObject({ src: '2001:db8::2', proto: HBH, truncated: 'ipv6 extension header', l4: { kind: 'other', proto: HBH } });
  });

  it('a chain cut in its second header names that header as proto and l4', () => {
    const frame = v6(HBH, ipv6Options(DSTOPTS, [], ipv6Options(UDP, new Array(20).fill(0), dns)));
    const ip = ipOf(1, frame.subarray(0, 14 + 40 + 8 + 8), frame.length);
    expect(ip).toMatchObject({ proto: DSTOPTS, truncated: 'ipv6 extension header', l4: { kind: 'other', proto: DSTOPTS } });
  });

  it('a payload length beyond the frame is marked', () => {
    const frame = ethernet(0x86dd, ipv6({ next: UDP, payloadLength: 58 }, dns));
    expect(ipOf(1, frame).truncated).toBe('ipv6 payload');
  });

  it('a chain of extension headers that never ends stops after 16', () => {
    let payload: Uint8Array = dns;
    for (let i = 0; i < 20; i++) payload = ipv6Options(i === 0 ? UDP : DSTOPTS, [], payload);
    const ip = ipOf(1, v6(DSTOPTS, concat(payload)));
    expect(ip.l4).toEqual({ kind: 'other', proto: DSTOPTS });
  });
});
