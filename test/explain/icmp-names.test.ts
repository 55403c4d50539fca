// ICMP errors named once (src/explain/icmp.ts): the long name of every error the tables know,
// in both families, the fallback for a code they do not, and the TUI's short unreachable label,
// which only "destination unreachable" has.
import { describe, expect, it } from 'vitest';
import { icmpErrorName, rejectionText, unreachableShortName } from '../../src/explain/icmp.js';
import { parseAddress } from '../../src/addresses.js';

describe('icmpErrorName', () => {
  it('IPv4 destination unreachable, by code', () => {
    expect([0, 1, 2, 3, 4, 9, 10, 13, 5, 15].map((code) => icmpErrorName(false, 3, code))).toEqual([
      'ICMP network unreachable',
      'ICMP host unreachable',
      'ICMP protocol unreachable',
      'ICMP port unreachable',
      'ICMP fragmentation needed',
      'ICMP network administratively prohibited',
      'ICMP host administratively prohibited',
      'ICMP communication administratively prohibited',
      'ICMP destination unreachable (code 5)',
      'ICMP destination unreachable (code 15)',
    ]);
  });

  it('the other IPv4 errors', () => {
    expect(icmpErrorName(false, 11, 0)).toBe('ICMP time exceeded in transit (TTL 0)');
    expect(icmpErrorName(false, 11, 1)).toBe('ICMP fragment reassembly time exceeded');
    expect(icmpErrorName(false, 12, 0)).toBe('ICMP parameter problem');
    expect(icmpErrorName(false, 5, 1)).toBe('ICMP redirect');
    expect(icmpErrorName(false, 4, 0)).toBe('ICMP error type 4 code 0');
    // ICMPv6 numbers mean something else in IPv4.
    expect(icmpErrorName(false, 1, 4)).toBe('ICMP error type 1 code 4');
    expect(icmpErrorName(false, 2, 0)).toBe('ICMP error type 2 code 0');
  });

  it('ICMPv6 errors, by type and code', () => {
    expect([0, 1, 3, 4, 2, 5].map((code) => icmpErrorName(true, 1, code))).toEqual([
      'ICMPv6 no route to destination',
      'ICMPv6 communication administratively prohibited',
      'ICMPv6 address unreachable',
      'ICMPv6 port unreachable',
      'ICMPv6 destination unreachable (code 2)',
      'ICMPv6 destination unreachable (code 5)',
    ]);
    expect(icmpErrorName(true, 2, 0)).toBe('ICMPv6 packet too big');
    expect(icmpErrorName(true, 3, 0)).toBe('ICMPv6 time exceeded (hop limit 0)');
    expect(icmpErrorName(true, 4, 1)).toBe('ICMPv6 parameter problem');
    expect(icmpErrorName(true, 11, 0)).toBe('ICMPv6 error type 11 code 0');
    expect(icmpErrorName(true, 5, 0)).toBe('ICMPv6 error type 5 code 0');
    expect(icmpErrorName(true, 12, 0)).toBe('ICMPv6 error type 12 code 0');
  });
});

describe('unreachableShortName (the TUI label)', () => {
  it('IPv4 type 3 by code, with a fallback', () => {
    expect([0, 1, 2, 3, 4, 9, 10, 13, 7].map((c) => unreachableShortName(false, 3, c))).toEqual(['net', 'host', 'proto', 'port', 'frag', 'net admin', 'host admin', 'admin', 'code 7']);
  });

  it('ICMPv6 type 1 by code, with a fallback', () => {
    expect([0, 1, 3, 4, 6].map((c) => unreachableShortName(true, 1, c))).toEqual(['route', 'admin', 'addr', 'port', 'code 6']);
  });

  it('no label for what is not an unreachable in its family', () => {
    expect(unreachableShortName(false, 11, 0)).toBeUndefined();
    expect(unreachableShortName(false, 1, 0)).toBeUndefined();
    expect(unreachableShortName(true, 3, 0)).toBeUndefined();
    expect(unreachableShortName(true, 2, 0)).toBeUndefined();
  });
});

describe('rejectionText', () => {
  it('names a reset and an error with the address it came from', () => {
    expect(rejectionText({ kind: 'tcp-reset', from: parseAddress('203.0.113.2')! })).toBe('TCP reset from 203.0.113.2');
    expect(rejectionText({ kind: 'icmp-error', v6: false, type: 3, code: 3, from: parseAddress('203.0.113.2')! })).toBe('ICMP port unreachable from 203.0.113.2');
    expect(rejectionText({ kind: 'icmp-error', v6: true, type: 1, code: 4, from: parseAddress('2001:db8::2')! })).toBe('ICMPv6 port unreachable from 2001:db8::2');
  });
});
