import { describe, expect, it } from 'vitest';
import { formatAddress, parseAddress } from '../../src/addresses.js';
import { ipv4At, ipv6At } from '../../src/decode/address.js';
import { ipv6Bytes } from './builders.js';

// Decode reads addresses as values (ipv4At, ipv6At); formatAddress is their one text.
const ipv4Address = (d: Uint8Array, o: number) => formatAddress(ipv4At(d, o));
const ipv6Address = (d: Uint8Array, o: number) => formatAddress(ipv6At(d, o));
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

describe('addresses as values', () => {
  it('IPv4 as an unsigned number, IPv6 as a bigint: the type is the family', () => {
    expect(ipv4At(Uint8Array.of(198, 18, 0, 2), 0)).toBe(0xc6120002);
    expect(ipv4At(Uint8Array.of(255, 255, 255, 255), 0)).toBe(0xffffffff);
    expect(ipv6At(Uint8Array.from(ipv6Bytes('2001:db8::1')), 0)).toBe(0x20010db8000000000000000000000001n);
  });

  it('text read back gives the same value, IPv4-mapped and zero groups included', () => {
    for (const text of ['198.18.0.2', '0.0.0.0', '2001:db8::1', '::', '::1', 'fe80::', '2001:db8:1:2:3:4:5:6', '::ffff:198.18.0.2', '2001:0:0:1::1']) {
      expect(formatAddress(parseAddress(text)!)).toBe(text);
    }
    expect(parseAddress('2001:DB8:0:0:0:0:0:1')).toBe(parseAddress('2001:db8::1'));
    for (const bad of ['198.18.0.256', '1.2.3', '2001:db8::1::2', '12345::', 'host', '1:2:3:4:5:6:7:8:9']) expect(parseAddress(bad)).toBeUndefined();
  });
});
