import { describe, expect, it } from 'vitest';
import { inCidr, ipv4Value, ipv6Groups, isPrivateAddress, parseAddress, parsePrefix, sourceNeedsSnat } from '../src/addresses.js';

const addr = (text: string) => parseAddress(text)!;
const prefix = (text: string) => parsePrefix(text)!;

describe('address arithmetic', () => {
  it('reads IPv4 addresses as numbers and refuses anything else', () => {
    expect(ipv4Value('198.18.0.2')).toBe(0xc6120002);
    expect(ipv4Value('198.18.0.256')).toBeUndefined();
    expect(ipv4Value('198.18.0')).toBeUndefined();
    expect(ipv4Value('1.2.3.x')).toBeUndefined();
  });

  it('places addresses in subnets, whatever host bits the CIDR carries', () => {
    expect(inCidr('198.18.0.77', '198.18.0.1/24')).toBe(true);
    expect(inCidr('198.18.1.77', '198.18.0.0/24')).toBe(false);
    expect(inCidr('203.0.113.9', '0.0.0.0/0')).toBe(true);
    expect(inCidr('203.0.113.9', '203.0.113.9')).toBe(true);
    expect(inCidr('fd00::1', 'fd00::1')).toBe(true);
  });

  it('knows which sources no reply from outside can reach', () => {
    expect(['10.1.2.3', '172.17.0.2', '192.168.1.1', '198.18.0.2', '198.19.255.1', 'fd00::2'].every(isPrivateAddress)).toBe(true);
    expect(['203.0.113.1', '198.20.0.1', '172.32.0.1', '2001:db8::1'].some(isPrivateAddress)).toBe(false);
  });
});

describe('IPv6 address arithmetic', () => {
  it('reads IPv6 addresses in every written form and refuses the rest', () => {
    expect(ipv6Groups('2001:db8:1::2')).toEqual([0x2001, 0xdb8, 1, 0, 0, 0, 0, 2]);
    expect(ipv6Groups('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(ipv6Groups('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(ipv6Groups('fd00:18:1:0:0:0:0:2')).toEqual([0xfd00, 0x18, 1, 0, 0, 0, 0, 2]);
    expect(ipv6Groups('::ffff:198.18.0.2')).toEqual([0, 0, 0, 0, 0, 0xffff, 0xc612, 0x0002]);
    for (const bad of ['2001:db8::1::2', '2001:db8:1:2:3:4:5:6:7', '2001:db8::g', '1:2:3:4:5:6:7', 'fe80::1%eth0', '198.18.0.2', '']) {
      expect(ipv6Groups(bad)).toBeUndefined();
    }
  });

  it('places IPv6 addresses in subnets of any prefix length', () => {
    expect(inCidr('2001:db8:1::2', '2001:db8:1::/64')).toBe(true);
    expect(inCidr('2001:db8:2::2', '2001:db8:1::/64')).toBe(false);
    expect(inCidr('2001:db8:1::2', '2001:db8::/32')).toBe(true);
    expect(inCidr('2001:db9::2', '2001:db8::/32')).toBe(false);
    expect(inCidr('fd00:18:1::80', 'fd00:18:1::/120')).toBe(true);
    expect(inCidr('fd00:18:1::180', 'fd00:18:1::/120')).toBe(false);
    expect(inCidr('fd00::1', 'fc00::/7')).toBe(true);
    expect(inCidr('2001:db8::1', '2001:db8::1')).toBe(true);
    expect(inCidr('2001:db8::1', '::/0')).toBe(true);
    // a family mismatch is never a match
    expect(inCidr('198.18.0.2', 'fd00::/8')).toBe(false);
    expect(inCidr('fd00::2', '198.18.0.0/15')).toBe(false);
  });

  it('counts ULA, link-local and loopback as private, documentation and global space as routable', () => {
    expect(['fd00:18:1::2', 'fc00::1', 'fe80::42:c6ff:fe12:602', 'febf::1', '::1'].every(isPrivateAddress)).toBe(true);
    expect(['2001:db8:1::2', '2001:db8::1', '2a00:1450::1', 'fe00::1'].some(isPrivateAddress)).toBe(false);
  });
});

describe('when a source leaving without SNAT is a problem (no-snat)', () => {
  it('IPv4: a private source, or one in the bridge subnet', () => {
    expect(sourceNeedsSnat(addr('172.17.0.2'), [])).toBe(true);
    expect(sourceNeedsSnat(addr('203.0.113.77'), [prefix('203.0.113.64/26')])).toBe(true);
    expect(sourceNeedsSnat(addr('203.0.113.1'), [prefix('198.18.0.0/24')])).toBe(false);
  });

  it('IPv6: ULA and link-local sources only; a globally routable bridge subnet leaves as it is', () => {
    expect(sourceNeedsSnat(addr('fd00:18:1::2'), [prefix('fd00:18:1::/64')])).toBe(true);
    expect(sourceNeedsSnat(addr('fe80::1'), [])).toBe(true);
    expect(sourceNeedsSnat(addr('2001:db8:1::2'), [prefix('2001:db8:1::/64')])).toBe(false);
  });
});
