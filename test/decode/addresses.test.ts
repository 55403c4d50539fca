import { describe, expect, it } from 'vitest';
import { ipv4Address, ipv6Address } from '../../src/decode/address.js';
import { ipv6Bytes } from './builders.js';

const v6 = (groups: number[]) => ipv6Address(Uint8Array.from(groups.flatMap((g) => [g >> 8, g & 0xff])), 0);

describe('addresses as text', () => {
  it('IPv4 as a dotted quad', () => {
    expect(ipv4Address(Uint8Array.of(0, 0, 198, 18, 0, 2), 2)).toBe('198.18.0.2');
    expect(ipv4Address(Uint8Array.of(255, 255, 255, 255), 0)).toBe('255.255.255.255');
    expect(ipv4Address(Uint8Array.of(0, 0, 0, 0), 0)).toBe('0.0.0.0');
  });

  it('IPv6 in RFC 5952 canonical form', () => {
    expect(v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])).toBe('2001:db8::1');
    expect(v6([0, 0, 0, 0, 0, 0, 0, 0])).toBe('::');
    expect(v6([0, 0, 0, 0, 0, 0, 0, 1])).toBe('::1');
    expect(v6([0xfe80, 0, 0, 0, 0, 0, 0, 0])).toBe('fe80::');
    expect(v6([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1])).toBe('2001:db8:0:1:1:1:1:1'); // one zero group stays
    expect(v6([0x2001, 0, 0, 1, 0, 0, 0, 1])).toBe('2001:0:0:1::1'); // the longest run wins
    expect(v6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1])).toBe('2001:db8::1:0:0:1'); // ties: the first
    expect(v6([0xABCD, 0x00EF, 0x0a, 0, 0, 0, 0, 0xF])).toBe('abcd:ef:a::f');
    expect(v6([0, 0, 0, 0, 0, 0xffff, 0xc612, 0x0002])).toBe('::ffff:198.18.0.2');
  });

  it('reads at an offset', () => {
    expect(ipv6Address(Uint8Array.from([9, 9, ...ipv6Bytes('2200::240:2:0:0:4')]), 2)).toBe('2200::240:2:0:0:4');
  });
});
