// The small rules of src/correlate on packets built in the test, each with the case where it
// must not hold: which fields count as rewritten, what a hop pair's transit bound is, which
// hops of a path are the container's own, what is link chatter, what makes two sightings the
// same packet, and how a conversation is named the same both ways.
import { describe, expect, it } from 'vitest';
import { fieldIndex, fieldsOf, fieldValue, rewrittenFields } from '../../src/correlate/rewrites.js';
import { CLOCK_NOISE_FLOOR_NS, TransitTimes } from '../../src/correlate/inflight.js';
import { bareAddress, PathModel } from '../../src/correlate/path.js';
import { isLinkChatter } from '../../src/correlate/chatter.js';
import { conversationKey, endpointsOf, isEchoReply, isEchoRequest, isIcmpError, matchKey, protoName, sameIdentity, sameSide } from '../../src/correlate/keys.js';
import { decodeFrame } from '../../src/decode/index.js';
import { formatAddress, parseAddress, parsePrefix } from '../../src/addresses.js';
import type { IpPacket } from '../../src/model.js';
import { ACK, SYN, bytes, ethernet, icmpEcho, icmpError, ipv4, ipv6, tcp, udp } from '../decode/builders.js';

const MS = 1_000_000;

function packet(frame: Uint8Array): IpPacket {
  const d = decodeFrame(1, frame, frame.length);
  if (d.kind !== 'packet') throw new Error(`not a packet: ${JSON.stringify(d)}`);
  return d.ip;
}
const v4 = (o: Parameters<typeof ipv4>[0], payload: Uint8Array) => packet(ethernet(0x0800, ipv4(o, payload)));
const v6 = (o: Parameters<typeof ipv6>[0], payload: Uint8Array) => packet(ethernet(0x86dd, ipv6(o, payload)));
const addr = (text: string) => parseAddress(text)!;

const tcpAt = (src: string, sport: number, dst = '203.0.113.2', dport = 80, o: { flags?: number; seq?: number; window?: number; id?: number; ttl?: number } = {}) =>
  v4({ src, dst, proto: 6, id: o.id ?? 7, ttl: o.ttl ?? 64 }, tcp({ sport, dport, flags: o.flags ?? ACK, seq: o.seq ?? 1, ack: 1, window: o.window ?? 100 }, bytes(10)));
const udpAt = (src: string, sport: number, dst = '203.0.113.2', dport = 53, data = 10) => v4({ src, dst, proto: 17, id: 7 }, udp({ sport, dport }, bytes(data)));
const echoAt = (src: string, id: number, seq = 1, type = 8, dst = '203.0.113.2') => v4({ src, dst, proto: 1, id: 9 }, icmpEcho(type, id, seq, bytes(8)));

describe('rewrittenFields: which fields differ between two sightings of one packet', () => {
  it('a bit per field, in REWRITE_FIELDS order', () => {
    const a = tcpAt('198.18.0.2', 40000);
    expect(rewrittenFields(a, a)).toBe(0);
    expect(rewrittenFields(a, tcpAt('203.0.113.1', 40000))).toBe(1);
    expect(rewrittenFields(a, tcpAt('198.18.0.2', 40000, '198.18.0.9'))).toBe(2);
    expect(rewrittenFields(a, tcpAt('198.18.0.2', 61000))).toBe(4);
    expect(rewrittenFields(a, tcpAt('198.18.0.2', 40000, '203.0.113.2', 8080))).toBe(8);
    expect(rewrittenFields(a, tcpAt('203.0.113.1', 61000, '198.18.0.9', 8080))).toBe(15);
    expect(fieldsOf(rewrittenFields(a, tcpAt('203.0.113.1', 61000)))).toEqual(['src', 'sport']);
  });

  it('ports of UDP too, and between a TCP and a UDP sighting; TTL and IP id are not rewrites', () => {
    expect(rewrittenFields(udpAt('198.18.0.2', 5000), udpAt('198.18.0.2', 5001))).toBe(4);
    expect(rewrittenFields(udpAt('198.18.0.2', 5000, '203.0.113.2', 53), udpAt('198.18.0.2', 5000, '203.0.113.2', 54))).toBe(8);
    expect(rewrittenFields(tcpAt('198.18.0.2', 5000, '203.0.113.2', 53), udpAt('198.18.0.2', 5001, '203.0.113.2', 53))).toBe(4);
    expect(rewrittenFields(tcpAt('198.18.0.2', 1, '203.0.113.2', 2, { ttl: 64, id: 1 }), tcpAt('198.18.0.2', 1, '203.0.113.2', 2, { ttl: 63, id: 2 }))).toBe(0);
  });

  it('the ICMP echo id, only between two ICMP packets that both carry one', () => {
    expect(rewrittenFields(echoAt('198.18.0.2', 7), echoAt('203.0.113.1', 4007))).toBe(1 | 16);
    expect(rewrittenFields(echoAt('198.18.0.2', 7), echoAt('198.18.0.2', 7, 2))).toBe(0);
    const quotedEcho = ipv4({ src: '198.18.0.2', dst: '203.0.113.2', proto: 1 }, icmpEcho(8, 7, 1));
    const error = v4({ src: '203.0.113.2', dst: '198.18.0.2', proto: 1 }, icmpError(3, 3, quotedEcho));
    expect(error.l4).toMatchObject({ kind: 'icmp', id: undefined });
    expect(rewrittenFields(error, error)).toBe(0);
    expect(rewrittenFields(echoAt('198.18.0.2', 7), error) & 16).toBe(0);
    expect(rewrittenFields(error, echoAt('198.18.0.2', 7)) & 16).toBe(0);
    // A TCP packet and an ICMP one: no port or id bit.
    expect(rewrittenFields(tcpAt('198.18.0.2', 7), echoAt('198.18.0.2', 7)) & ~3).toBe(0);
    expect(rewrittenFields(echoAt('198.18.0.2', 7), tcpAt('198.18.0.2', 7)) & ~3).toBe(0);
  });

  it('fieldValue reads each field where the packet has it, undefined where it has not', () => {
    const t = tcpAt('198.18.0.2', 40000, '203.0.113.2', 80);
    expect(['src', 'dst', 'sport', 'dport', 'icmp-id'].map((f) => fieldValue(t, f as never))).toEqual([addr('198.18.0.2'), addr('203.0.113.2'), 40000, 80, undefined]);
    const u = udpAt('198.18.0.2', 5000, '203.0.113.2', 53);
    expect(['sport', 'dport', 'icmp-id'].map((f) => fieldValue(u, f as never))).toEqual([5000, 53, undefined]);
    const e = echoAt('198.18.0.2', 7);
    expect(['sport', 'dport', 'icmp-id'].map((f) => fieldValue(e, f as never))).toEqual([undefined, undefined, 7]);
  });

  it('fieldsOf and fieldIndex are each other\'s inverse over the bits', () => {
    expect(fieldsOf(0)).toEqual([]);
    expect(fieldsOf(31)).toEqual(['src', 'dst', 'sport', 'dport', 'icmp-id']);
    expect(fieldsOf(16 | 2)).toEqual(['dst', 'icmp-id']);
    expect(['src', 'dst', 'sport', 'dport', 'icmp-id'].map((f) => fieldIndex(f as never))).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('TransitTimes: how long a packet may take between two hops', () => {
  it('the clock-noise floor when nothing crossed the pair, never more than the window', () => {
    expect(CLOCK_NOISE_FLOOR_NS).toBe(2 * MS);
    expect(new TransitTimes(500 * MS).bound(1, 2)).toBe(2 * MS);
    expect(new TransitTimes(1 * MS).bound(1, 2)).toBe(1 * MS);
  });

  it('twice the longest transit seen on the pair, either way round, above the floor', () => {
    const t = new TransitTimes(500 * MS);
    t.record(2, 3, 3 * MS);
    t.record(3, 2, 1 * MS);
    expect(t.bound(2, 3)).toBe(6 * MS);
    expect(t.bound(3, 2)).toBe(6 * MS);
    expect(t.bound(1, 2)).toBe(2 * MS);
    expect(t.bound(1, 3)).toBe(2 * MS);
    t.record(1, 2, 0.5 * MS);
    expect(t.bound(1, 2)).toBe(2 * MS);
    t.record(1, 2, 1.5 * MS);
    expect(t.bound(1, 2)).toBe(3 * MS);
    t.record(1, 2, 1.2 * MS);
    expect(t.bound(1, 2)).toBe(3 * MS);
    t.record(0, 1, 400 * MS);
    expect(t.bound(0, 1)).toBe(500 * MS);
  });

  it('a zero or negative transit (clocks of two captures) leaves the floor', () => {
    const t = new TransitTimes(500 * MS);
    t.record(0, 1, -5 * MS);
    expect(t.bound(0, 1)).toBe(2 * MS);
  });

  it('pairs sharing a hop do not share a record', () => {
    const t = new TransitTimes(500 * MS);
    t.record(0, 1, 5 * MS);
    expect([t.bound(0, 1), t.bound(0, 2), t.bound(0, 3), t.bound(1, 2)]).toEqual([10 * MS, 2 * MS, 2 * MS, 2 * MS]);
  });

  it('a round trip: twice the longest seen, between the floor and the window', () => {
    const t = new TransitTimes(500 * MS);
    expect(t.roundTrip(0)).toBe(2 * MS);
    expect(t.roundTrip(0.9 * MS)).toBe(2 * MS);
    expect(t.roundTrip(10 * MS)).toBe(20 * MS);
    expect(t.roundTrip(300 * MS)).toBe(500 * MS);
  });
});

describe('PathModel', () => {
  // Built in each test (not in the describe body) so that coverage per test sees the constructor.
  const docker = () => new PathModel([
    { name: 'c1 eth0', role: 'container', addrs: ['198.18.0.2/24', 'fd00::2'] },
    { name: 'veth1', role: 'veth', addrs: [] },
    { name: 'docker0', role: 'bridge', addrs: ['198.18.0.1/24', 'fd00::1/64', '198.19.0.1'] },
    { name: 'eth0', role: 'uplink', addrs: ['203.0.113.1/24'] },
  ]);

  it('the container and its veth are private; the uplink is an uplink; bridge prefixes are subnets', () => {
    expect([...docker().privateHops]).toEqual([0, 1]);
    expect([...docker().uplinks]).toEqual([3]);
    expect(docker().size).toBe(4);
    expect(docker().subnets.map((p) => `${formatAddress(p.net)}/${p.bits}`)).toEqual(['198.18.0.1/24', 'fd00::1/64']);
  });

  it('the container\'s and the bridge\'s own addresses end a packet\'s travel there; the uplink\'s do not', () => {
    expect(docker().hopOwning(addr('198.18.0.2'))).toBe(0);
    expect(docker().hopOwning(addr('fd00::2'))).toBe(0);
    expect(docker().hopOwning(addr('198.18.0.1'))).toBe(2);
    expect(docker().hopOwning(addr('198.19.0.1'))).toBe(2);
    expect(docker().hopOwning(addr('203.0.113.1'))).toBeUndefined();
    expect([...docker().tracedAddrs].map(formatAddress)).toEqual(['198.18.0.2', 'fd00::2']);
  });

  it('without roles (files without path.json) the first hop is private and its addresses are the traced ones', () => {
    const plain = new PathModel([
      { name: 'a', role: 'other', addrs: ['198.18.0.2/24'] },
      { name: 'b', role: 'other', addrs: ['198.18.0.9'] },
    ]);
    expect([...plain.privateHops]).toEqual([0]);
    expect([...plain.uplinks]).toEqual([]);
    expect([...plain.tracedAddrs].map(formatAddress)).toEqual(['198.18.0.2']);
    expect(plain.hopOwning(addr('198.18.0.2'))).toBeUndefined();
  });

  it('roles known but no container nor veth (host mode): the first hop is private', () => {
    const host = new PathModel([
      { name: 'eth0', role: 'uplink', addrs: ['203.0.113.1/24'] },
      { name: 'x', role: 'other', addrs: [] },
    ]);
    expect([...host.privateHops]).toEqual([0]);
    expect([...host.uplinks]).toEqual([0]);
    expect([...host.tracedAddrs].map(formatAddress)).toEqual(['203.0.113.1']);
  });

  it('a container hop gives the traced addresses: the first hop\'s addresses are not added then', () => {
    const p = new PathModel([
      { name: 'veth', role: 'veth', addrs: ['198.18.0.77'] },
      { name: 'c1 eth0', role: 'container', addrs: ['198.18.0.2'] },
    ]);
    expect([...p.tracedAddrs].map(formatAddress)).toEqual(['198.18.0.2']);
    expect([...p.privateHops]).toEqual([0, 1]);
  });

  it('a path listed from the uplink inward: the container and veth are private, not the first hop', () => {
    const inward = new PathModel([
      { name: 'eth0', role: 'uplink', addrs: [] },
      { name: 'docker0', role: 'bridge', addrs: [] },
      { name: 'veth1', role: 'veth', addrs: [] },
      { name: 'c1 eth0', role: 'container', addrs: ['198.18.0.2'] },
    ]);
    expect([...inward.privateHops]).toEqual([2, 3]);
  });

  it('no hops at all; a first hop whose addresses are not addresses gives no traced address', () => {
    expect(new PathModel([]).size).toBe(0);
    expect([...new PathModel([]).privateHops]).toEqual([0]);
    expect([...new PathModel([{ name: 'a', role: 'other', addrs: ['eth0', 'fe80::1%eth0'] }]).tracedAddrs]).toEqual([]);
  });

  it('bareAddress takes an address with or without its prefix length, and nothing else', () => {
    expect(bareAddress('198.18.0.2/24')).toBe(addr('198.18.0.2'));
    expect(bareAddress('198.18.0.2')).toBe(addr('198.18.0.2'));
    expect(bareAddress('fd00::1/64')).toBe(addr('fd00::1'));
    expect(bareAddress('eth0')).toBeUndefined();
    expect(bareAddress('/24')).toBeUndefined();
    expect(parsePrefix('198.18.0.1/24')).toBeDefined();
  });
});

describe('isLinkChatter: the link talking to itself', () => {
  it('ICMPv6 neighbour discovery and MLD (types 130-143) are chatter; echo (128/129) and 144 are not', () => {
    const icmp6 = (type: number) => v6({ src: 'fd00::2', dst: 'fd00::1', next: 58 }, new Uint8Array([type, 0, 0, 0, 0, 0, 0, 0]));
    expect([128, 129, 130, 135, 136, 143, 144].map((t) => isLinkChatter(icmp6(t)))).toEqual([false, false, true, true, true, true, false]);
  });

  it('to ff02::/16 and to 224.0.0.0/24 is chatter; to ff05:: or 224.0.1.1 or a unicast address is not', () => {
    const to6 = (dst: string) => v6({ src: 'fd00::2', dst, next: 17 }, udp({ sport: 5353, dport: 5353 }, bytes(4)));
    expect(['ff02::fb', 'ff02::1:2', 'ff05::2', 'fe80::1', 'ff12::1'].map((d) => isLinkChatter(to6(d)))).toEqual([true, true, false, false, false]);
    expect(['224.0.0.251', '224.0.0.0', '224.0.0.255', '224.0.1.1', '223.255.255.255', '198.18.0.1'].map((d) => isLinkChatter(udpAt('198.18.0.2', 5353, d, 5353)))).toEqual([
      true, true, true, false, false, false,
    ]);
  });
});

describe('keys: the same packet at two hops, and the conversation it belongs to', () => {
  it('NAT, TTL and checksums leave the match key alone', () => {
    const a = tcpAt('198.18.0.2', 40000, '203.0.113.2', 80, { ttl: 64 });
    const natted = tcpAt('203.0.113.1', 61000, '198.18.0.9', 8080, { ttl: 63 });
    expect(matchKey(natted)).toBe(matchKey(a));
    expect(sameIdentity(natted, a)).toBe(true);
    expect(matchKey(echoAt('203.0.113.1', 4007))).toBe(matchKey(echoAt('198.18.0.2', 7)));
    expect(sameIdentity(echoAt('203.0.113.1', 4007), echoAt('198.18.0.2', 7))).toBe(true);
  });

  it('every field NAT leaves alone tells packets apart', () => {
    const baseIp = tcpAt('198.18.0.2', 1, '203.0.113.2', 2);
    const base = matchKey(baseIp);
    const otherIps = [
      tcpAt('198.18.0.2', 1, '203.0.113.2', 2, { id: 8 }),
      tcpAt('198.18.0.2', 1, '203.0.113.2', 2, { seq: 2 }),
      tcpAt('198.18.0.2', 1, '203.0.113.2', 2, { flags: SYN }),
      tcpAt('198.18.0.2', 1, '203.0.113.2', 2, { window: 101 }),
      tcpAt('198.18.0.2', 1, '203.0.113.2', 2, { seq: 1 << 24 }),
      v4({ src: '198.18.0.2', dst: '203.0.113.2', proto: 6, id: 7 }, tcp({ sport: 1, dport: 2, flags: ACK, seq: 1, ack: 2, window: 100 }, bytes(10))),
      v4({ src: '198.18.0.2', dst: '203.0.113.2', proto: 6, id: 7 }, tcp({ sport: 1, dport: 2, flags: ACK, seq: 1, ack: 1, window: 100 }, bytes(11))),
      v4({ src: '198.18.0.2', dst: '203.0.113.2', proto: 6, id: 7 }, tcp({ sport: 1, dport: 2, flags: ACK, seq: 1, ack: 1, window: 100 }, bytes(10, (i) => i + 1))),
    ];
    const others = otherIps.map(matchKey);
    expect(otherIps.filter((ip) => sameIdentity(ip, baseIp))).toEqual([]);
    expect(sameIdentity(baseIp, tcpAt('198.18.0.2', 1, '203.0.113.2', 2))).toBe(true);
    expect(others.filter((k) => k === base)).toEqual([]);
    expect(new Set(others).size).toBe(others.length);
    expect(matchKey(udpAt('198.18.0.2', 1, '203.0.113.2', 2, 10))).not.toBe(matchKey(udpAt('198.18.0.2', 1, '203.0.113.2', 2, 11)));
    expect(matchKey(echoAt('198.18.0.2', 7, 1))).not.toBe(matchKey(echoAt('198.18.0.2', 7, 2)));
    expect(matchKey(echoAt('198.18.0.2', 7, 1, 8))).not.toBe(matchKey(echoAt('198.18.0.2', 7, 1, 0)));
    expect(base | 0).toBe(base);
    expect(sameIdentity(echoAt('198.18.0.2', 7, 1, 8), echoAt('198.18.0.2', 7, 1, 0))).toBe(false);
    expect(sameIdentity(udpAt('198.18.0.2', 1, '203.0.113.2', 2, 10), udpAt('198.18.0.2', 1, '203.0.113.2', 2, 11))).toBe(false);
  });

  it('fragments: the offset and the more-fragments flag are part of the key', () => {
    const frag = (offset: number, more: boolean) => v4({ src: '198.18.0.2', dst: '203.0.113.2', proto: 17, id: 5, fragOffset: offset, more }, bytes(16));
    const frags = [frag(8, true), frag(16, true), frag(8, false)];
    expect(new Set(frags.map(matchKey)).size).toBe(3);
    expect(frags.map((f) => frags.filter((g) => sameIdentity(f, g)).length)).toEqual([1, 1, 1]);
    expect(sameIdentity(frag(8, true), frag(8, true))).toBe(true);
    const other = (proto: number) => v4({ src: '198.18.0.2', dst: '203.0.113.2', proto, id: 5 }, bytes(16));
    expect(matchKey(other(47))).not.toBe(matchKey(other(50)));
  });

  it('an ICMP error is keyed with the header it quotes, whatever NAT did to the quote', () => {
    const quote = (src: string, seq: number) => ipv4({ src, dst: '203.0.113.2', proto: 6, id: 3 }, tcp({ sport: 1, dport: 80, seq, flags: SYN }));
    const error = (src: string, seq: number) => v4({ src: '203.0.113.1', dst: src, proto: 1, id: 4 }, icmpError(3, 3, quote(src, seq)));
    expect(matchKey(error('198.18.0.2', 100))).toBe(matchKey(error('198.18.0.3', 100)));
    expect(matchKey(error('198.18.0.2', 100))).not.toBe(matchKey(error('198.18.0.2', 101)));
    expect(sameIdentity(error('198.18.0.2', 100), error('198.18.0.3', 100))).toBe(true);
    expect(sameIdentity(error('198.18.0.2', 100), error('198.18.0.2', 101))).toBe(false);
    const bare = v4({ src: '203.0.113.1', dst: '198.18.0.2', proto: 1, id: 4 }, icmpError(3, 3, new Uint8Array(0)));
    expect(sameIdentity(error('198.18.0.2', 100), bare)).toBe(false);
    expect(sameIdentity(bare, error('198.18.0.2', 100))).toBe(false);
  });

  it('names the protocol, and tells echo requests, replies and errors', () => {
    expect(protoName(tcpAt('198.18.0.2', 1))).toBe('tcp');
    expect(protoName(udpAt('198.18.0.2', 1))).toBe('udp');
    expect(protoName(echoAt('198.18.0.2', 1))).toBe('icmp');
    expect(protoName(v6({ next: 58 }, icmpEcho(128, 1, 1)))).toBe('icmpv6');
    expect(protoName(v4({ proto: 47 }, bytes(8)))).toBe('ip-proto-47');
    const req6 = v6({ next: 58 }, icmpEcho(128, 1, 1)).l4;
    const rep6 = v6({ next: 58 }, icmpEcho(129, 1, 1)).l4;
    expect([isEchoRequest(req6), isEchoReply(req6), isEchoRequest(rep6), isEchoReply(rep6)]).toEqual([true, false, false, true]);
    const req4 = echoAt('198.18.0.2', 1, 1, 8).l4;
    const rep4 = echoAt('198.18.0.2', 1, 1, 0).l4;
    expect([isEchoRequest(req4), isEchoReply(req4), isEchoRequest(rep4), isEchoReply(rep4)]).toEqual([true, false, false, true]);
    expect([isEchoRequest(tcpAt('198.18.0.2', 8).l4), isEchoReply(tcpAt('198.18.0.2', 0).l4)]).toEqual([false, false]);
    // ICMPv6 type 8 / 0 are not echo, nor ICMPv4 128/129.
    expect(isEchoRequest(v6({ next: 58 }, icmpEcho(8, 1, 1)).l4)).toBe(false);
    expect(isEchoReply(echoAt('198.18.0.2', 1, 1, 129).l4)).toBe(false);
    expect(isIcmpError(v4({ proto: 1 }, icmpError(11, 0, ipv4({ proto: 17 }, udp({ sport: 1, dport: 2 })))))).toBe(true);
    expect(isIcmpError(echoAt('198.18.0.2', 1))).toBe(false);
    expect(isIcmpError(tcpAt('198.18.0.2', 1))).toBe(false);
  });

  it('endpoints: ports for TCP/UDP; the echo id on the pinger\'s side, so a request and its reply name one pair', () => {
    expect(endpointsOf(tcpAt('198.18.0.2', 40000, '203.0.113.2', 80))).toEqual({ proto: 'tcp', src: { addr: addr('198.18.0.2'), port: 40000 }, dst: { addr: addr('203.0.113.2'), port: 80 } });
    expect(endpointsOf(udpAt('198.18.0.2', 5000, '203.0.113.2', 53))).toEqual({ proto: 'udp', src: { addr: addr('198.18.0.2'), port: 5000 }, dst: { addr: addr('203.0.113.2'), port: 53 } });
    const request = endpointsOf(echoAt('198.18.0.2', 7, 1, 8));
    const reply = endpointsOf(echoAt('203.0.113.2', 7, 1, 0, '198.18.0.2'));
    expect(request).toEqual({ proto: 'icmp', src: { addr: addr('198.18.0.2'), icmpId: 7 }, dst: { addr: addr('203.0.113.2') } });
    expect(reply).toEqual({ proto: 'icmp', src: { addr: addr('203.0.113.2') }, dst: { addr: addr('198.18.0.2'), icmpId: 7 } });
    expect(conversationKey(2, request)).toBe(conversationKey(2, reply));
    expect(conversationKey(2, request)).not.toBe(conversationKey(3, request));
    expect(endpointsOf(v6({ src: 'fd00::2', dst: 'fd00::1', next: 58 }, icmpEcho(128, 9, 1)))).toMatchObject({ proto: 'icmpv6', src: { icmpId: 9 } });
    const error = v4({ src: '203.0.113.1', dst: '198.18.0.2', proto: 1 }, icmpError(3, 1, ipv4({ proto: 17 }, udp({ sport: 1, dport: 2 }))));
    expect(endpointsOf(error)).toEqual({ proto: 'icmp', src: { addr: addr('203.0.113.1') }, dst: { addr: addr('198.18.0.2') } });
    expect(endpointsOf(v4({ src: '198.18.0.2', dst: '203.0.113.2', proto: 47 }, bytes(8)))).toEqual({ proto: 'ip-proto-47', src: { addr: addr('198.18.0.2') }, dst: { addr: addr('203.0.113.2') } });
  });

  it('a conversation key is the same whichever way the packet goes, and differs by protocol and ports', () => {
    const e = endpointsOf(tcpAt('198.18.0.2', 40000, '203.0.113.2', 80));
    const back = { proto: e.proto, src: e.dst, dst: e.src };
    expect(conversationKey(1, e)).toBe(conversationKey(1, back));
    expect(conversationKey(1, e)).not.toBe(conversationKey(1, endpointsOf(udpAt('198.18.0.2', 40000, '203.0.113.2', 80))));
    expect(conversationKey(1, e)).not.toBe(conversationKey(1, endpointsOf(tcpAt('198.18.0.2', 40001, '203.0.113.2', 80))));
    expect(conversationKey(1, { proto: 'icmp', src: { addr: addr('198.18.0.2'), icmpId: 1 }, dst: { addr: addr('203.0.113.2') } })).not.toBe(
      conversationKey(1, { proto: 'icmp', src: { addr: addr('198.18.0.2'), port: 1 }, dst: { addr: addr('203.0.113.2') } }),
    );
  });

  it('sameSide compares address, port and echo id', () => {
    const s = { addr: addr('198.18.0.2'), port: 1 };
    expect(sameSide(s, { addr: addr('198.18.0.2'), port: 1 })).toBe(true);
    expect(sameSide(s, { addr: addr('198.18.0.3'), port: 1 })).toBe(false);
    expect(sameSide(s, { addr: addr('198.18.0.2'), port: 2 })).toBe(false);
    expect(sameSide({ addr: addr('198.18.0.2'), icmpId: 1 }, { addr: addr('198.18.0.2'), icmpId: 2 })).toBe(false);
    expect(sameSide({ addr: addr('198.18.0.2'), icmpId: 1 }, { addr: addr('198.18.0.2'), icmpId: 1 })).toBe(true);
  });
});
