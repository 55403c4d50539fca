import { describe, expect, it } from 'vitest';
import { inCidr, ipv4Value, isPrivateAddress } from '../src/addresses.js';

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
