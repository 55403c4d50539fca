// --trace-rules' events name the rule that dropped a flow's own packets, and only its own.
import { describe, expect, it } from 'vitest';
import { parseTraceLine } from '../../src/evidence/trace-rules.js';
import { tracedDrop } from '../../src/evidence/traced.js';
import { parseHostFile } from '../../src/evidence/host-file.js';
import { whyText } from '../../src/evidence/words.js';
import { snapshot } from './data.js';

const lines = (id: string, src: string, dst: string) => [
  `trace id ${id} ip filter FORWARD packet: iif "docker0" oif "eth0" ip saddr ${src} ip daddr ${dst} ip dscp cs0 ip ecn not-ect ip ttl 63 ip id 1 ip length 84 icmp type echo-request`,
  `trace id ${id} ip filter FORWARD rule counter packets 6 bytes 504 jump DOCKER-USER # handle 8 (verdict jump DOCKER-USER)`,
  `trace id ${id} ip filter DOCKER-USER rule meta mark 0x00000000 counter packets 2 bytes 168 drop # handle 25 (verdict drop)`,
];

describe('a drop named by --trace-rules', () => {
  const after = snapshot('after');
  after.ruleset.rules.find((r) => r.text === '-A DOCKER-USER -m mark --mark 0x0 -j DROP')!.handle = 25;
  const events = [...lines('a1', '198.18.0.2', '203.0.113.2'), ...lines('a2', '198.18.0.2', '203.0.113.2'), ...lines('b1', '198.18.0.3', '203.0.113.2')]
    .map((l) => parseTraceLine(l)!);
  const packet = { family: 4 as const, src: '198.18.0.2', dst: '203.0.113.2', proto: 1, icmpType: 8 };

  it('names the rule by its handle and counts the traced packets of this flow only', () => {
    const cause = tracedDrop(events, packet, after)!;
    expect(whyText(cause)).toBe('dropped by a rule in chain DOCKER-USER of table filter (iptables-nft), seen dropping 2 packets of this flow by --trace-rules: `-A DOCKER-USER -m mark --mark 0x0 -j DROP`');
  });

  it('names a rule added while the trace ran, which nft prints without its text, by its handle', () => {
    const late = [lines('c1', '198.18.0.2', '203.0.113.2')[0]!, 'trace id c1 ip filter DOCKER-USER unknown rule handle 25 (verdict drop)'].map((l) => parseTraceLine(l)!);
    expect(late[1]).toEqual({ id: 'c1', family: 'ip', table: 'filter', chain: 'DOCKER-USER', kind: 'rule', text: 'unknown rule handle 25', handle: 25, verdict: 'drop' });
    expect(whyText(tracedDrop(late, packet, after)!)).toBe('dropped by a rule in chain DOCKER-USER of table filter (iptables-nft), seen dropping 1 packet of this flow by --trace-rules: `-A DOCKER-USER -m mark --mark 0x0 -j DROP`');
  });

  it('says nothing for a flow the trace did not see dropped', () => {
    expect(tracedDrop(events, { ...packet, src: '198.18.0.9' }, after)).toBeUndefined();
  });

  it('refuses a host.json whose ruleTrace is not a list of events, naming the field', () => {
    const doc = { format: 'hoptrace-host', version: 1, namespaces: [], ruleTrace: [{ id: 1 }] };
    expect(() => parseHostFile(JSON.stringify(doc), 'host.json')).toThrow('host.json: ruleTrace: needs an array of trace events (id, kind, text)');
  });
});
