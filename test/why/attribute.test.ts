// Attribution over evidence captured in the lab (see data.ts): pure, no lab needed.
import { describe, expect, it } from 'vitest';
import { explainDrop } from '../../src/evidence/attribute.js';
import { whyText } from '../../src/evidence/words.js';
import type { DropQuery } from '../../src/evidence/types.js';
import { snapshot } from './data.js';

const drop = (dst: string, count = 2): DropQuery => ({
  packet: { family: 4, src: '198.18.0.2', dst, proto: 1, icmpType: 8 },
  inIface: 'docker0', outIface: 'eth0', leftHost: false, count, ctState: 'NEW',
});

describe('a drop attributed from captured counters', () => {
  it('names a rule whose match it cannot read when its counter moved by the flow\'s packets', () => {
    const cause = explainDrop(drop('203.0.113.2'), snapshot('before'), snapshot('after'));
    expect(whyText(cause)).toBe('dropped by a rule in chain DOCKER-USER of table filter (iptables-nft), which counted 2 packets during the trace: `-A DOCKER-USER -m mark --mark 0x0 -j DROP`');
    expect(cause.evidence.counters.map((c) => [c.rule.text, c.packetsDelta])).toEqual([
      ['-A FORWARD -j DOCKER-USER', 2], ['-A DOCKER-USER -m mark --mark 0x0 -j DROP', 2],
    ]);
  });

  it('names the native nftables rule that runs before iptables\' filter table', () => {
    const cause = explainDrop(drop('198.19.0.1'), snapshot('before'), snapshot('after'));
    expect(whyText(cause)).toBe('dropped by a rule in chain forward_filter of table whyfw (nftables), which counted 2 packets during the trace: `ip daddr 198.19.0.1 icmp type echo-request counter drop`');
  });

  it('does not name a rule whose counters did not move: the unread match is then taken not to fit', () => {
    const same = snapshot('after');
    const cause = explainDrop(drop('203.0.113.2'), same, same);
    expect(cause.kind).toBe('unknown');
    expect(whyText(cause)).toBe('the cause is not known: the rule that fits them, `-A DOCKER-USER -d 203.0.113.2/32 -p icmp -j DROP`, counted 0 of their 2 packets');
  });

  it('lists every rule that fits and counted the packets, and says it is ambiguous', () => {
    const withSet = (s: string): string => s.replace('-A DOCKER-USER -j RETURN', '-A DOCKER-USER -m set --match-set blocked dst -j DROP\n[0:0] -A DOCKER-USER -j RETURN');
    const after = snapshot('after', (s) => withSet(s).replace('[0:0] -A DOCKER-USER -m set', '[5:420] -A DOCKER-USER -m set'));
    const cause = explainDrop(drop('203.0.113.2'), snapshot('before', withSet), after);
    expect(cause.kind).toBe('rule');
    expect(whyText(cause)).toBe('dropped by one of 2 rules that fit these packets and counted packets during the trace (ambiguous): `-A DOCKER-USER -m mark --mark 0x0 -j DROP` (2), `-A DOCKER-USER -m set --match-set blocked dst -j DROP` (5)');
  });

  it('says nothing here counted them when the packets left by the uplink', () => {
    const cause = explainDrop({ ...drop('198.19.0.9'), leftHost: true }, snapshot('before'), snapshot('after'));
    expect(whyText(cause)).toBe('no rule or setting here accounts for it: the packets left this host by eth0');
  });

  it('names forwarding off before any rule', () => {
    const after = snapshot('after');
    after.sysctls['net.ipv4.ip_forward'] = '0';
    expect(whyText(explainDrop(drop('203.0.113.2'), snapshot('before'), after))).toBe('the host does not forward IPv4 packets: net.ipv4.ip_forward = 0');
  });
});
