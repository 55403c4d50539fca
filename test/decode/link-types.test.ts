import { describe, expect, it } from 'vitest';
import { SUPPORTED_LINK_TYPES } from '../../src/decode/index.js';
import { ethernet, ipv4, ipv6, linuxSll, linuxSll2, loopback, udp } from './builders.js';
import { packetOf, decodeShown } from './decode-helpers.js';

const v4 = ipv4({ src: '198.18.0.2', dst: '203.0.113.9', proto: 17, ttl: 63, id: 4242 }, udp({ sport: 40000, dport: 53 }));
const v6 = ipv6({ src: '2001:db8::2', dst: '2001:db8:1::9', next: 17, hopLimit: 62 }, udp({ sport: 40000, dport: 53 }));

function addresses(linkType: number, frame: Uint8Array): string {
  const { ip } = packetOf(linkType, frame);
  return `${ip.version} ${ip.src} > ${ip.dst} ttl ${ip.ttl}`;
}

describe('every supported link type leads to the same IP packet', () => {
  it('Ethernet (1)', () => {
    expect(addresses(1, ethernet(0x0800, v4))).toBe('4 198.18.0.2 > 203.0.113.9 ttl 63');
    expect(addresses(1, ethernet(0x86dd, v6))).toBe('6 2001:db8::2 > 2001:db8:1::9 ttl 62');
  });

  it('LINUX_SLL (113) and LINUX_SLL2 (276)', () => {
    expect(addresses(113, linuxSll(0x0800, v4))).toBe('4 198.18.0.2 > 203.0.113.9 ttl 63');
    expect(addresses(276, linuxSll2(0x86dd, 7, v6))).toBe('6 2001:db8::2 > 2001:db8:1::9 ttl 62');
  });

  it('raw IP: 101 by version nibble, 228 IPv4, 229 IPv6', () => {
    expect(addresses(101, v4)).toBe('4 198.18.0.2 > 203.0.113.9 ttl 63');
    expect(addresses(101, v6)).toBe('6 2001:db8::2 > 2001:db8:1::9 ttl 62');
    expect(addresses(228, v4)).toBe('4 198.18.0.2 > 203.0.113.9 ttl 63');
    expect(addresses(229, v6)).toBe('6 2001:db8::2 > 2001:db8:1::9 ttl 62');
  });

  it('NULL (0) reads the family in either byte order, with every OS number for AF_INET6', () => {
    expect(addresses(0, loopback(2, v4))).toBe('4 198.18.0.2 > 203.0.113.9 ttl 63');
    expect(addresses(0, loopback(2, v4, true))).toBe('4 198.18.0.2 > 203.0.113.9 ttl 63');
    for (const af6 of [10, 24, 28, 30]) {
      expect(addresses(0, loopback(af6, v6))).toBe('6 2001:db8::2 > 2001:db8:1::9 ttl 62');
      expect(addresses(0, loopback(af6, v6, true))).toBe('6 2001:db8::2 > 2001:db8:1::9 ttl 62');
    }
  });

  it('LOOP (108) has the family in network order', () => {
    expect(addresses(108, loopback(2, v4, true))).toBe('4 198.18.0.2 > 203.0.113.9 ttl 63');
    expect(addresses(108, loopback(28, v6, true))).toBe('6 2001:db8::2 > 2001:db8:1::9 ttl 62');
  });

  it('SUPPORTED_LINK_TYPES lists exactly those', () => {
    expect([...SUPPORTED_LINK_TYPES].sort((a, b) => a - b)).toEqual([0, 1, 101, 108, 113, 228, 229, 276]);
  });
});

describe('frames that hold no IP packet are skipped with the reason', () => {
  it('an unknown link type', () => {
    expect(decodeShown(160, v4, v4.length)).toEqual({ skip: 'link type 160' });
  });

  it('a raw IP (228/229) link whose packet has the other version', () => {
    expect(decodeShown(228, v6, v6.length)).toEqual({ skip: 'ipv4 version 6 != 4' });
    expect(decodeShown(229, v4, v4.length)).toEqual({ skip: 'ipv6 version 4 != 6' });
    expect(decodeShown(101, Uint8Array.of(0x50, 0, 0, 0), 4)).toEqual({ skip: 'ip version 5' });
  });

  it('a loopback family that is not IP', () => {
    expect(decodeShown(0, loopback(7, v4), v4.length + 4)).toEqual({ skip: 'loopback family 7' });
  });

  it('SLL pseudo-protocols and netlink', () => {
    expect(decodeShown(113, linuxSll(0x0004, v4), v4.length + 16)).toEqual({ skip: 'linux sll protocol 0x0004' });
    expect(decodeShown(113, linuxSll(0x0010, v4, 824), v4.length + 16)).toEqual({ skip: 'netlink' });
    expect(decodeShown(276, linuxSll2(0x0806, 3, new Uint8Array(28)), 48)).toEqual({ skip: 'arp' });
  });

  it('link headers cut short', () => {
    expect(decodeShown(1, new Uint8Array(13), 60)).toEqual({ skip: 'truncated ethernet header' });
    expect(decodeShown(113, new Uint8Array(15), 60)).toEqual({ skip: 'truncated linux sll header' });
    expect(decodeShown(276, new Uint8Array(19), 60)).toEqual({ skip: 'truncated linux sll2 header' });
    expect(decodeShown(0, new Uint8Array(3), 60)).toEqual({ skip: 'truncated loopback header' });
    expect(decodeShown(101, new Uint8Array(0), 60)).toEqual({ skip: 'truncated ip header' });
  });
});
