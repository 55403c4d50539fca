// Every rule of the --filter language (src/explain/filter.ts) with a flow it keeps and one it
// does not: protocols, families, hosts and nets on the side NAT rewrote them to, ports on either
// side and through NAT, and/or/not and parentheses, and the exact refusal for each bad input.
import { describe, expect, it } from 'vitest';
import { compileFlowFilter } from '../../src/explain/filter.js';
import { parseAddress } from '../../src/addresses.js';
import type { Endpoint, FlowReport, Rewrite, RewriteField } from '../../src/model.js';

function endpoint(text: string): Endpoint {
  const m = /^\[(.+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  return m ? { addr: parseAddress(m[1]!)!, port: Number(m[2]) } : { addr: parseAddress(text)! };
}

function flow(proto: string, initiator: string, responder: string, rewrites: Rewrite[] = []): FlowReport {
  return {
    id: 1, proto, initiator: endpoint(initiator), responder: endpoint(responder), verdict: 'ok', reached: 'eth0', dropBetween: null,
    rewrites, ttl: [], latency: [], findings: [], packets: { request: 1, reply: 1 }, firstSeen: 0, lastSeen: 0,
  };
}

const rw = (direction: 'request' | 'reply', field: RewriteField, from: string | number, to: string | number): Rewrite => ({
  between: ['docker0', 'eth0'], direction, field,
  from: typeof from === 'number' ? from : parseAddress(from)!,
  to: typeof to === 'number' ? to : parseAddress(to)!,
});

const tcp = flow('tcp', '198.18.0.2:40000', '203.0.113.2:80');
const udp = flow('udp', '198.18.0.2:5000', '203.0.113.2:53');
const icmp = flow('icmp', '198.18.0.2', '203.0.113.2');
const icmp6 = flow('icmpv6', 'fd00::2', '2001:db8::2');
// Outbound TCP through MASQUERADE: source address and port rewritten on the way out, back on the way in.
const masq = flow('tcp', '198.18.0.2:40000', '203.0.113.2:80', [
  rw('request', 'src', '198.18.0.2', '203.0.113.1'), rw('request', 'sport', 40000, 61000),
  rw('reply', 'dst', '203.0.113.1', '198.18.0.2'), rw('reply', 'dport', 61000, 40000),
]);
// Inbound to a published port: destination address and port rewritten (DNAT), the reply's source back.
const dnat = flow('tcp', '203.0.113.2:50000', '203.0.113.1:8080', [
  rw('request', 'dst', '203.0.113.1', '198.18.0.2'), rw('request', 'dport', 8080, 80),
  rw('reply', 'src', '198.18.0.2', '203.0.113.1'), rw('reply', 'sport', 80, 8080),
]);

const keeps = (text: string, f: FlowReport) => compileFlowFilter(text)(f);
const which = (text: string) => [tcp, udp, icmp, icmp6].map((f) => keeps(text, f));

function refusal(text: string): string {
  try {
    compileFlowFilter(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`'${text}' was accepted`);
}

describe('protocols and families', () => {
  it('tcp, udp, icmp and icmp6 each keep their own protocol only', () => {
    expect(which('tcp')).toEqual([true, false, false, false]);
    expect(which('udp')).toEqual([false, true, false, false]);
    expect(which('icmp')).toEqual([false, false, true, false]);
    expect(which('icmp6')).toEqual([false, false, false, true]);
  });

  it('ip and ip6 by the initiator\'s family', () => {
    expect(which('ip')).toEqual([true, true, true, false]);
    expect(which('ip6')).toEqual([false, false, false, true]);
  });

  it('an empty filter keeps every flow', () => {
    expect(which('')).toEqual([true, true, true, true]);
    expect(which('   ')).toEqual([true, true, true, true]);
  });
});

describe('hosts, nets and ports, on the side NAT left them', () => {
  it('a bare address is a host on either side', () => {
    expect(which('198.18.0.2')).toEqual([true, true, true, false]);
    expect(which('203.0.113.9')).toEqual([false, false, false, false]);
    expect(which('2001:db8::2')).toEqual([false, false, false, true]);
  });

  it('src is the initiator\'s side, dst the responder\'s', () => {
    expect([keeps('src host 198.18.0.2', tcp), keeps('dst host 198.18.0.2', tcp), keeps('dst host 203.0.113.2', tcp), keeps('src host 203.0.113.2', tcp)]).toEqual([true, false, true, false]);
    expect([keeps('src port 40000', tcp), keeps('dst port 40000', tcp), keeps('dst port 80', tcp), keeps('src port 80', tcp), keeps('port 80', tcp), keeps('port 81', tcp)]).toEqual([true, false, true, false, true, false]);
  });

  it('MASQUERADE: the SNAT address and port are the initiator\'s side', () => {
    expect([keeps('src host 203.0.113.1', masq), keeps('dst host 203.0.113.1', masq)]).toEqual([true, false]);
    expect([keeps('src port 61000', masq), keeps('dst port 61000', masq), keeps('port 61000', masq)]).toEqual([true, false, true]);
  });

  it('DNAT: the published address and port and the container\'s are the responder\'s side', () => {
    expect([keeps('dst host 198.18.0.2', dnat), keeps('src host 198.18.0.2', dnat)]).toEqual([true, false]);
    expect([keeps('dst port 80', dnat), keeps('src port 80', dnat), keeps('dst port 8080', dnat), keeps('src port 8080', dnat)]).toEqual([true, false, true, false]);
    expect([keeps('src port 50000', dnat), keeps('dst port 50000', dnat)]).toEqual([true, false]);
  });

  it('each rewritten field on its own: a DNAT address, a source port, a destination port; an echo id is no port', () => {
    const dnatOnly = flow('tcp', '203.0.113.2:50000', '203.0.113.1:80', [rw('request', 'dst', '203.0.113.1', '198.18.0.2')]);
    expect([keeps('dst host 198.18.0.2', dnatOnly), keeps('src host 198.18.0.2', dnatOnly)]).toEqual([true, false]);
    const sportOnly = flow('udp', '198.18.0.2:5000', '203.0.113.2:53', [rw('request', 'sport', 5000, 61000)]);
    expect([keeps('src port 61000', sportOnly), keeps('dst port 61000', sportOnly)]).toEqual([true, false]);
    const dportOnly = flow('tcp', '203.0.113.2:50000', '203.0.113.1:8080', [rw('request', 'dport', 8080, 80)]);
    expect([keeps('dst port 80', dportOnly), keeps('src port 80', dportOnly)]).toEqual([true, false]);
    const pingNat = flow('icmp', '198.18.0.2', '203.0.113.2', [rw('request', 'icmp-id', 7, 1007)]);
    expect([keeps('port 7', pingNat), keeps('port 1007', pingNat), keeps('icmp', pingNat)]).toEqual([false, false, true]);
  });

  it('nets by prefix, /0 to /32 in IPv4 and to /128 in IPv6', () => {
    expect([keeps('net 198.18.0.0/15', tcp), keeps('net 198.20.0.0/15', tcp), keeps('net 0.0.0.0/0', tcp), keeps('net 198.18.0.2/32', tcp), keeps('net 198.18.0.2', tcp)]).toEqual([true, false, true, true, true]);
    expect([keeps('net 2001:db8::/32', icmp6), keeps('net 2001:db8::2/128', icmp6), keeps('dst net fd00::/8', icmp6), keeps('src net fd00::/8', icmp6)]).toEqual([true, true, false, true]);
  });

  it('ports from 0 to 65535', () => {
    expect(keeps('port 0', flow('udp', '198.18.0.2:0', '203.0.113.2:53'))).toBe(true);
    expect(keeps('port 65535', flow('udp', '198.18.0.2:65535', '203.0.113.2:53'))).toBe(true);
    expect(keeps('port 53', icmp)).toBe(false);
  });
});

describe('and, or, not and parentheses', () => {
  it('and, &&, and side by side; or, ||; not, !', () => {
    expect(which('tcp and port 80')).toEqual([true, false, false, false]);
    expect(which('tcp && port 80')).toEqual([true, false, false, false]);
    expect(which('tcp port 80')).toEqual([true, false, false, false]);
    expect(which('udp port 80')).toEqual([false, false, false, false]);
    expect(which('tcp or udp')).toEqual([true, true, false, false]);
    expect(which('udp || icmp6')).toEqual([false, true, false, true]);
    expect(which('not ip')).toEqual([false, false, false, true]);
    expect(which('! tcp')).toEqual([false, true, true, true]);
    expect(which('!tcp')).toEqual([false, true, true, true]);
    expect(which('not not tcp')).toEqual([true, false, false, false]);
  });

  it('and binds tighter than or; parentheses change it', () => {
    expect(which('icmp or tcp and port 53')).toEqual([false, false, true, false]);
    expect(which('(icmp or tcp) and port 80')).toEqual([true, false, false, false]);
    expect(which('not (tcp or udp)')).toEqual([false, false, true, true]);
    expect(which('(tcp)(port 80)')).toEqual([true, false, false, false]);
  });

  it('256 parentheses deep is taken, 257 is refused; many groups side by side are not nesting', () => {
    expect(keeps(`${'('.repeat(256)}tcp${')'.repeat(256)}`, tcp)).toBe(true);
    expect(refusal(`${'('.repeat(257)}tcp${')'.repeat(257)}`)).toBe(`bad --filter '${'('.repeat(57)}...': parentheses nested more than 256 deep`);
    expect(keeps(Array.from({ length: 300 }, () => '(tcp)').join(' and '), tcp)).toBe(true);
  });
});

describe('refusals: one line naming what is wrong', () => {
  it('unknown words and words in the wrong place', () => {
    expect(refusal('tcpp')).toBe("bad --filter 'tcpp': unknown word 'tcpp' (known: host, net, port, src, dst, tcp, udp, icmp, icmp6, ip, ip6, and, or, not, parentheses)");
    expect(refusal('src tcp')).toBe("bad --filter 'src tcp': unknown word 'tcp' (known: host, net, port, src, dst, tcp, udp, icmp, icmp6, ip, ip6, and, or, not, parentheses)");
    expect(refusal('src 198.18.0.2')).toBe("bad --filter 'src 198.18.0.2': unknown word '198.18.0.2' (known: host, net, port, src, dst, tcp, udp, icmp, icmp6, ip, ip6, and, or, not, parentheses)");
    expect(refusal('dst')).toBe("bad --filter 'dst': it ends too early: 'host', 'net' or 'port' expected");
    expect(refusal('tcp or or udp')).toBe("bad --filter 'tcp or or udp': 'or' needs a term on each side");
    expect(refusal('tcp and and udp')).toBe("bad --filter 'tcp and and udp': 'and' needs a term on each side");
    expect(refusal('()')).toBe("bad --filter '()': ')' without '('");
    expect(refusal('not')).toBe("bad --filter 'not': it ends too early: a term expected");
    expect(refusal('port')).toBe("bad --filter 'port': it ends too early: a port number after 'port' expected");
    expect(refusal('net')).toBe("bad --filter 'net': it ends too early: an address after 'net' expected");
  });

  it('addresses, prefixes and ports', () => {
    expect(refusal('host 198.18.0.0/24')).toBe("bad --filter 'host 198.18.0.0/24': '198.18.0.0/24' is not an IPv4 or IPv6 address");
    expect(refusal('net 999.1.1.0/24')).toBe("bad --filter 'net 999.1.1.0/24': '999.1.1.0/24' is not an IPv4 or IPv6 network");
    expect(refusal('net 198.18.0.0/33')).toBe("bad --filter 'net 198.18.0.0/33': '198.18.0.0/33': the prefix length must be a number from 0 to 32");
    expect(refusal('net 2001:db8::/129')).toBe("bad --filter 'net 2001:db8::/129': '2001:db8::/129': the prefix length must be a number from 0 to 128");
    for (const bad of ['1e1', '+24', '24x', '0024', '', 'x']) expect(refusal(`net 198.18.0.0/${bad}`)).toContain('the prefix length must be a number from 0 to 32');
    expect(refusal('port 65536')).toBe("bad --filter 'port 65536': port must be a number from 0 to 65535, not '65536'");
    expect(refusal('port 123456')).toBe("bad --filter 'port 123456': port must be a number from 0 to 65535, not '123456'");
    for (const bad of ['1e3', '+80', '80x', '-1']) expect(refusal(`port ${bad}`)).toBe(`bad --filter 'port ${bad}': port must be a number from 0 to 65535, not '${bad}'`);
  });

  it('a long filter is cut to 57 characters and ... in the message; one of 60 is kept whole', () => {
    const sixty = `tcp or udp or icmp or icmp6 or ip or ip6 or tcp or udp or x`;
    expect(sixty).toHaveLength(59);
    expect(refusal(`${sixty}y`)).toBe(`bad --filter '${sixty}y': unknown word 'xy' (known: host, net, port, src, dst, tcp, udp, icmp, icmp6, ip, ip6, and, or, not, parentheses)`);
    expect(refusal(`${sixty}yz`)).toBe(`bad --filter '${sixty.slice(0, 57)}...': unknown word 'xyz' (known: host, net, port, src, dst, tcp, udp, icmp, icmp6, ip, ip6, and, or, not, parentheses)`);
  });
});
