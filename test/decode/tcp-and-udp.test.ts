import { describe, expect, it } from 'vitest';
import { ACK, bytes, ethernet, ipv4, PSH, RST, SYN, tcp, udp } from './builders.js';
import { ipOf } from './decode-helpers.js';

const inV4 = (proto: number, l4: Uint8Array) => ethernet(0x0800, ipv4({ proto }, l4));

describe('TCP', () => {
  it('ports, seq, ack, flags, window and payload length after the options', () => {
    const syn = tcp({ sport: 45678, dport: 8080, seq: 0xfffffff0, flags: SYN, window: 64240, options: [2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7] });
    expect(ipOf(1, inV4(6, syn)).l4).toEqual({ kind: 'tcp', sport: 45678, dport: 8080, seq: 0xfffffff0, ack: 0, flags: SYN, window: 64240, payloadLen: 0 });
    const data = tcp({ sport: 8080, dport: 45678, seq: 1, ack: 0xfffffff1, flags: PSH | ACK, window: 502 }, bytes(1448));
    expect(ipOf(1, inV4(6, data)).l4).toEqual({ kind: 'tcp', sport: 8080, dport: 45678, seq: 1, ack: 0xfffffff1, flags: PSH | ACK, window: 502, payloadLen: 1448 });
  });

  it('the ninth flag bit (NS / AccECN AE) is kept as 0x100', () => {
    const frame = inV4(6, tcp({ sport: 1, dport: 2, flags: 0xff }));
    frame[14 + 20 + 12] |= 1;
    expect(ipOf(1, frame).l4).toMatchObject({ flags: 0x1ff });
  });

  it('payload length comes from the IP length, so a snaplen cut does not shrink it', () => {
    const frame = inV4(6, tcp({ sport: 1, dport: 2, flags: RST | ACK }, bytes(500)));
    const ip = ipOf(1, frame.subarray(0, 96), frame.length);
    expect(ip.l4).toMatchObject({ kind: 'tcp', payloadLen: 500 });
    expect(ip.truncated).toBeUndefined();
  });

  it('a header cut inside the options is marked; a header cut before the ports has no tcp fields', () => {
    const frame = inV4(6, tcp({ sport: 1, dport: 2, options: new Array(20).fill(1) }, bytes(10)));
    expect(ipOf(1, frame.subarray(0, 14 + 20 + 30), frame.length)).toMatchObject({ truncated: 'tcp header', l4: { kind: 'tcp', sport: 1, dport: 2 } });
    expect(ipOf(1, frame.subarray(0, 14 + 20 + 3), frame.length)).toMatchObject({ truncated: 'tcp header', l4: { kind: 'other', proto: 6 } });
  });

  it('a data offset below 5 words still counts the 20 fixed bytes as header', () => {
    expect(ipOf(1, inV4(6, tcp({ sport: 1, dport: 2, dataOffset: 2 }, bytes(8)))).l4).toMatchObject({ payloadLen: 8 });
  });
});

describe('UDP', () => {
  it('ports, length and payload length', () => {
    expect(ipOf(1, inV4(17, udp({ sport: 53, dport: 33000 }, bytes(120)))).l4).toEqual({ kind: 'udp', sport: 53, dport: 33000, length: 128, payloadLen: 120 });
  });

  it('a UDP length of 0 (jumbogram, offload) falls back to the IP length', () => {
    expect(ipOf(1, inV4(17, udp({ sport: 1, dport: 2, length: 0 }, bytes(100)))).l4).toMatchObject({ length: 0, payloadLen: 100 });
  });

  it('a header cut short is marked', () => {
    const frame = inV4(17, udp({ sport: 7, dport: 9 }, bytes(10)));
    expect(ipOf(1, frame.subarray(0, 14 + 20 + 5), frame.length)).toMatchObject({ truncated: 'udp header', l4: { kind: 'udp', sport: 7, dport: 9, length: 0 } });
  });
});
