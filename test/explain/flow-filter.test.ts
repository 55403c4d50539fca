import { describe, expect, it } from 'vitest';
import { compileFlowFilter } from '../../src/explain/filter.js';
import { FatalError } from '../../src/errors.js';
import { parseAddress } from '../../src/addresses.js';
import type { Endpoint, FlowReport, Rewrite } from '../../src/model.js';

/** "198.18.0.2", "198.18.0.2:53" or "[2001:db8::2]:53" as the report's value. */
function endpoint(text: string): Endpoint {
  const m = /^\[(.+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  return m ? { addr: parseAddress(m[1]!)!, port: Number(m[2]) } : { addr: parseAddress(text)! };
}

function flow(proto: string, initiator: string, responder: string, rewrites: Rewrite[] = []): FlowReport {
  return {
    id: 1,
    proto,
    initiator: endpoint(initiator),
    responder: endpoint(responder),
    verdict: 'ok',
    reached: 'eth0',
    dropBetween: null,
    rewrites,
    ttl: [],
    latency: [],
    findings: [],
    packets: { request: 1, reply: 1 },
    firstSeen: 0,
    lastSeen: 0,
  };
}

const snat: Rewrite = { between: ['docker0', 'eth0'], direction: 'request', field: 'src', from: parseAddress('198.18.0.2')!, to: parseAddress('203.0.113.1')! };
const ping4 = flow('icmp', '198.18.0.2', '203.0.113.2', [snat]);
// No zero group, so nothing in its text says '::': the family comes from the address itself.
const ping6 = flow('icmpv6', '2001:db8:1:2:3:4:5:6', '2001:db8:9:8:7:6:5:4');
const tcp6 = flow('tcp', '[2001:db8::2]:40000', '[2001:db8::9]:80');

const keeps = (text: string, f: FlowReport) => compileFlowFilter(text)(f);

function refusal(text: string): string {
  try {
    compileFlowFilter(text);
  } catch (error) {
    expect(error).toBeInstanceOf(FatalError);
    expect((error as FatalError).exitCode).toBe(2);
    return (error as Error).message;
  }
  throw new Error(`'${text}' was accepted`);
}

describe('the flow filter', () => {
  it('selects an ICMPv6 flow by ip6 even when its addresses have no zero group, and not by ip', () => {
    expect([keeps('ip6', ping6), keeps('ip', ping6), keeps('icmp6', ping6)]).toEqual([true, false, true]);
    expect([keeps('ip6', ping4), keeps('ip', ping4), keeps('ip6', tcp6)]).toEqual([false, true, true]);
  });

  it('matches IPv6 hosts and networks by value, not by spelling', () => {
    expect(keeps('host 2001:DB8:1:2:3:4:5:6', ping6)).toBe(true);
    expect(keeps('host 2001:db8:0:0:0:0:0:2', tcp6)).toBe(true);
    expect(keeps('net 2001:db8::/32', ping6)).toBe(true);
    expect(keeps('net 2001:db9::/32', ping6)).toBe(false);
    expect(keeps('port 80 and dst net 2001:db8::/64', tcp6)).toBe(true);
  });

  it('keeps a flow by an address NAT gave it, on the side the rewrite belongs to', () => {
    expect([keeps('src host 203.0.113.1', ping4), keeps('dst host 203.0.113.1', ping4)]).toEqual([true, false]);
    expect(keeps('net 203.0.113.0/24 and not host 203.0.113.9', ping4)).toBe(true);
  });

  it('takes 3,000 nested parentheses as an error, and 14,000 or-terms and 30,000 nots without running out of stack', () => {
    expect(refusal(`${'('.repeat(3000)}icmp${')'.repeat(3000)}`)).toContain('parentheses nested more than 256 deep');
    expect(keeps(Array.from({ length: 14_000 }, (_, i) => `port ${i + 1}`).join(' or '), tcp6)).toBe(true);
    expect(keeps(`${'not '.repeat(30_000)}icmp6`, ping6)).toBe(true);
    expect(keeps(`${'not '.repeat(30_001)}icmp6`, ping6)).toBe(false);
  });

  it('refuses addresses, prefixes and ports that are not ones, naming the value', () => {
    expect(refusal('host 999.1.1.1')).toBe("bad --filter 'host 999.1.1.1': '999.1.1.1' is not an IPv4 or IPv6 address");
    expect(refusal('net 1.2.3.0/99')).toBe("bad --filter 'net 1.2.3.0/99': '1.2.3.0/99': the prefix length must be a number from 0 to 32");
    expect(refusal('port 0x50')).toBe("bad --filter 'port 0x50': port must be a number from 0 to 65535, not '0x50'");
    expect(refusal('port 65536')).toContain('port must be a number from 0 to 65535');
  });

  it('says what is wrong with a lone operator or an unbalanced parenthesis', () => {
    expect(refusal('and')).toBe("bad --filter 'and': 'and' needs a term on each side");
    expect(refusal('icmp or')).toBe("bad --filter 'icmp or': it ends too early: a term expected");
    expect(refusal('(icmp')).toBe("bad --filter '(icmp': it ends too early: ')' expected");
    expect(refusal('icmp)')).toBe("bad --filter 'icmp)': unexpected ')'");
  });
});
