import { describe, expect, it } from 'vitest';
import { hashBytes } from '../../src/decode/index.js';
import { murmur3 } from '../../src/decode/bytes.js';
import { bytes, ethernet, icmpEcho, ipv4, ipv6, tcp, udp, ACK, SYN } from './builders.js';
import { ipOf } from './decode-helpers.js';

const text = (s: string) => new TextEncoder().encode(s);

describe('hashBytes is 32-bit FNV-1a', () => {
  it('matches the reference test vectors', () => {
    expect(hashBytes(text(''), 0, 0)).toBe(0x811c9dc5);
    expect(hashBytes(text('a'), 0, 1)).toBe(0xe40c292c);
    expect(hashBytes(text('foobar'), 0, 6)).toBe(0xbf9cf968);
  });

  it('hashes only data[start, end) and never reads past the array', () => {
    expect(hashBytes(text('xxfoobarxx'), 2, 8)).toBe(0xbf9cf968);
    expect(hashBytes(text('foobar'), 0, 600)).toBe(0xbf9cf968);
  });
});

describe('murmur3 is MurmurHash3_x86_32', () => {
  it('matches the reference test vectors', () => {
    const hash = (s: string, seed: number) => murmur3(text(s), 0, text(s).length, seed);
    expect(hash('', 0)).toBe(0);
    expect(hash('test', 0)).toBe(0xba6bd213);
    expect(hash('abc', 0)).toBe(0xb3dd93fa);
    expect(hash('a', 0x9747b28c)).toBe(0x7fa09ea6);
    expect(hash('aaaa', 0x9747b28c)).toBe(0x5a97808a);
    expect(hash('Hello, world!', 1234)).toBe(0xfaf6cdb3);
    expect(hash('The quick brown fox jumps over the lazy dog', 0x9747b28c)).toBe(0x2fa826cd);
  });

  it('hashes only data[start, end)', () => {
    expect(murmur3(text('xxtestxx'), 2, 6, 0)).toBe(0xba6bd213);
  });
});

describe('payloadHash: a fingerprint NAT does not change', () => {
  const data = bytes(200, (i) => (i * 31) & 0xff);

  it('TCP: same payload behind rewritten addresses, ports and TTL gives the same hash', () => {
    const before = ethernet(0x0800, ipv4({ src: '198.18.0.2', dst: '203.0.113.9', ttl: 64, proto: 6 }, tcp({ sport: 40000, dport: 80, flags: ACK }, data)));
    const after = ethernet(0x0800, ipv4({ src: '203.0.113.1', dst: '203.0.113.9', ttl: 63, proto: 6 }, tcp({ sport: 61000, dport: 80, flags: ACK }, data)));
    expect(ipOf(1, before).payloadHash).toBe(ipOf(1, after).payloadHash);
    expect(ipOf(1, before).payloadHash).toBe(murmur3(data, 0, 64, 0) | 0);
  });

  it('covers at most the first 64 payload bytes', () => {
    const other = data.slice();
    other[64] ^= 0xff;
    const a = ipOf(1, ethernet(0x0800, ipv4({ proto: 17 }, udp({ sport: 1, dport: 2 }, data))));
    const b = ipOf(1, ethernet(0x0800, ipv4({ proto: 17 }, udp({ sport: 1, dport: 2 }, other))));
    expect(a.payloadHash).toBe(b.payloadHash);
    other[63] ^= 0xff;
    expect(ipOf(1, ethernet(0x0800, ipv4({ proto: 17 }, udp({ sport: 1, dport: 2 }, other)))).payloadHash).not.toBe(a.payloadHash);
  });

  it('ICMP echo: the data after the 8-byte header, so a rewritten echo id does not matter', () => {
    const a = ipOf(1, ethernet(0x0800, ipv4({ proto: 1 }, icmpEcho(8, 100, 1, data.subarray(0, 56)))));
    const b = ipOf(1, ethernet(0x0800, ipv4({ proto: 1 }, icmpEcho(8, 200, 1, data.subarray(0, 56)))));
    expect(a.payloadHash).toBe(murmur3(data, 0, 56, 0) | 0);
    expect(b.payloadHash).toBe(a.payloadHash);
  });

  it('IPv6 UDP hashes the same bytes as IPv4 UDP', () => {
    const a = ipOf(1, ethernet(0x86dd, ipv6({ next: 17 }, udp({ sport: 1, dport: 2 }, data))));
    expect(a.payloadHash).toBe(murmur3(data, 0, 64, 0) | 0);
  });

  it('is 0 when there is no payload, or none was captured', () => {
    expect(ipOf(1, ethernet(0x0800, ipv4({ proto: 6 }, tcp({ sport: 1, dport: 2, flags: SYN })))).payloadHash).toBe(0);
    const frame = ethernet(0x0800, ipv4({ proto: 6 }, tcp({ sport: 1, dport: 2, flags: ACK }, data)));
    expect(ipOf(1, frame.subarray(0, 54), frame.length).payloadHash).toBe(0);
  });
});
