import { describe, expect, it } from 'vitest';
import { ethernet, ipv4, tcp, udp, bytes, concat, ACK } from './builders.js';
import { ipOf, decodeShown } from './decode-helpers.js';

const segment = tcp({ sport: 34567, dport: 80, seq: 1000, ack: 2000, flags: ACK }, bytes(10));

describe('IPv4 header fields', () => {
  it('src, dst, ttl, id, total length and protocol as the header says', () => {
    const ip = ipOf(1, ethernet(0x0800, ipv4({ src: '198.18.0.2', dst: '203.0.113.1', ttl: 63, id: 0xbeef, proto: 6, df: true }, segment)));
    expect(ip).toMatchObject({ version: 4, src: '198.18.0.2', dst: '203.0.113.1', ttl: 63, ipId: 0xbeef, length: 50, proto: 6 });
    expect(ip.fragment).toBeUndefined();
    expect(ip.truncated).toBeUndefined();
  });

  it('options are skipped by the header length', () => {
    const ip = ipOf(1, ethernet(0x0800, ipv4({ proto: 6, options: [0x94, 0x04, 0, 0, 1, 1, 1, 0] }, segment)));
    expect(ip.length).toBe(58);
    expect(ip.l4).toMatchObject({ kind: 'tcp', sport: 34567, dport: 80, payloadLen: 10 });
  });

  it('Ethernet padding after the total length is not payload', () => {
    const small = ipv4({ proto: 17 }, udp({ sport: 1, dport: 2 }, bytes(2)));
    const padded = ethernet(0x0800, concat(small, new Uint8Array(16).fill(0xee)));
    const unpadded = ethernet(0x0800, small);
    expect(ipOf(1, padded).payloadHash).toBe(ipOf(1, unpadded).payloadHash);
    expect(ipOf(1, padded).length).toBe(30);
  });

  it('a total length of 0 (segmentation offload, BIG TCP) takes the frame length', () => {
    const frame = ethernet(0x0800, ipv4({ proto: 6, totalLength: 0 }, segment));
    const ip = ipOf(1, frame.subarray(0, 80), 80052 + 14);
    expect(ip.length).toBe(80052);
    expect(ip.l4).toMatchObject({ kind: 'tcp', payloadLen: 80052 - 40 });
  });

  it('a total length of 0 on anything but TCP is invalid, as tcpdump says', () => {
    const frame = ethernet(0x0800, ipv4({ proto: 1, totalLength: 0 }, new Uint8Array(64)));
    expect(decodeShown(1, frame, frame.length)).toEqual({ skip: 'ipv4 total length 0 < header length 20' });
  });
});

describe('IPv4 fragments', () => {
  it('the first fragment carries the transport header', () => {
    const ip = ipOf(1, ethernet(0x0800, ipv4({ proto: 17, id: 99, more: true }, udp({ sport: 5000, dport: 6000, length: 3008 }, bytes(1472)))));
    expect(ip.fragment).toEqual({ offset: 0, more: true });
    expect(ip.l4).toEqual({ kind: 'udp', sport: 5000, dport: 6000, length: 3008, payloadLen: 3000 });
  });

  it('later fragments have no transport header: l4 is other, the hash covers their bytes', () => {
    const ip = ipOf(1, ethernet(0x0800, ipv4({ proto: 17, id: 99, fragOffset: 1480 }, bytes(1528))));
    expect(ip.fragment).toEqual({ offset: 1480, more: false });
    expect(ip.l4).toEqual({ kind: 'other', proto: 17 });
    expect(ip.ipId).toBe(99);
    expect(ip.payloadHash).not.toBe(0);
  });
});

describe('malformed IPv4 headers are skipped with a precise reason', () => {
  it('a version other than 4 behind the IPv4 ethertype', () => {
    expect(decodeShown(1, ethernet(0x0800, ipv4({ proto: 6, version: 5 }, segment)), 64)).toEqual({ skip: 'ipv4 version 5 != 4' });
  });

  it('a header length below 20', () => {
    expect(decodeShown(1, ethernet(0x0800, ipv4({ proto: 6, headerLength: 16 }, segment)), 64)).toEqual({ skip: 'ipv4 header length 16 < 20' });
  });

  it('a total length below the header length', () => {
    expect(decodeShown(1, ethernet(0x0800, ipv4({ proto: 6, totalLength: 19 }, segment)), 64)).toEqual({ skip: 'ipv4 total length 19 < header length 20' });
  });

  it('a frame too short for even the fixed header', () => {
    const cut = ethernet(0x0800, ipv4({ proto: 6 }, segment)).subarray(0, 14 + 19);
    expect(decodeShown(1, cut, cut.length)).toEqual({ skip: 'ipv4 length 19 < 20' });
    expect(decodeShown(1, cut, 100)).toEqual({ skip: 'truncated ipv4 header' });
  });
});

describe('IPv4 cut short', () => {
  it('a total length beyond the frame keeps the decoded packet, marked', () => {
    const ip = ipOf(1, ethernet(0x0800, ipv4({ proto: 17, totalLength: 85 }, udp({ sport: 1, dport: 53 }, bytes(56)))));
    expect(ip.truncated).toBe('ipv4 payload');
    expect(ip.l4).toMatchObject({ kind: 'udp', dport: 53, length: 64 });
  });

  it('options cut by the snaplen: addresses kept, no transport', () => {
    const frame = ethernet(0x0800, ipv4({ src: '198.18.0.9', proto: 6, options: new Array(40).fill(1) }, segment));
    const ip = ipOf(1, frame.subarray(0, 14 + 30), frame.length);
    expect(ip).toMatchObject({ src: '198.18.0.9', truncated: 'ipv4 options', l4: { kind: 'other', proto: 6 } });
  });
});
