// Docker 28's layout (DOCKER-FORWARD, DOCKER-CT, DOCKER-BRIDGE, a raw PREROUTING DROP per
// container), captured in the lab with HT_ENGINE=28: FORWARD policy DROP and Docker's
// `-A DOCKER-FORWARD -i docker0 -j ACCEPT` deleted, then 2 pings from c1 to 203.0.113.2.
import { describe, expect, it } from 'vitest';
import { explainDrop } from '../../src/evidence/attribute.js';
import { whyText } from '../../src/evidence/words.js';
import type { DropQuery } from '../../src/evidence/types.js';
import { xtSnapshot } from './data.js';

const before = xtSnapshot('engine28.before.iptables-nft-save.txt');
const after = xtSnapshot('engine28.after.iptables-nft-save.txt');
const q = (dst: string, inIface = 'docker0', outIface = 'eth0'): DropQuery => ({
  packet: { family: 4, src: inIface === 'docker0' ? '198.18.0.2' : '203.0.113.2', dst, proto: 1, icmpType: 8 },
  inIface, outIface, leftHost: false, count: 2, ctState: 'NEW',
});

describe('Docker 28\'s renamed chains', () => {
  it('follow the jumps through DOCKER-FORWARD to the FORWARD policy, with its counter', () => {
    const cause = explainDrop(q('203.0.113.2'), before, after);
    expect(whyText(cause)).toBe('dropped by the policy of chain FORWARD of table filter, which counted 2 packets during the trace: no rule accepted them: `:FORWARD DROP`');
    expect(cause.evidence.counters.map((c) => c.rule.text)).toEqual([
      '-A FORWARD -j DOCKER-USER', '-A FORWARD -j DOCKER-FORWARD', '-A DOCKER-FORWARD -j DOCKER-CT', '-A DOCKER-FORWARD -j DOCKER-ISOLATION-STAGE-1',
      '-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2', '-A DOCKER-FORWARD -j DOCKER-BRIDGE',
    ]);
  });

  it('do not blame the policy for packets it did not count', () => {
    expect(whyText(explainDrop(q('203.0.113.2'), after, after))).toBe('the cause is not known: the policy drop of chain FORWARD would stop them, but it counted 0 of their 2 packets');
  });

  it('find the raw PREROUTING DROP that guards a container from direct access, on paper (its counter did not move)', () => {
    const cause = explainDrop({ ...q('198.18.0.2', 'eth0', 'docker0'), count: 0 }, before, after);
    expect(whyText(cause)).toBe('dropped by a rule in chain PREROUTING of table raw (iptables-nft), which counted 0 packets during the trace: `-A PREROUTING -d 198.18.0.2/32 ! -i docker0 -j DROP`');
  });
});

describe('a missing source NAT', () => {
  it('says the only MASQUERADE rule excludes the interface the packets left by', async () => {
    const { explainMissingSnat } = await import('../../src/evidence/attribute.js');
    const packet = { family: 4 as const, src: '198.18.0.2', dst: '198.18.0.9', proto: 1, icmpType: 8 };
    expect(whyText(explainMissingSnat(packet, 'docker0', before, after))).toBe('no source NAT rule covers 198.18.0.2 leaving by docker0: `-A POSTROUTING -s 198.18.0.0/24 ! -o docker0 -j MASQUERADE` needs leaving not by docker0');
  });

  it('is not reported when a rule does cover the packet', async () => {
    const { explainMissingSnat } = await import('../../src/evidence/attribute.js');
    const packet = { family: 4 as const, src: '198.18.0.2', dst: '203.0.113.2', proto: 1, icmpType: 8 };
    expect(explainMissingSnat(packet, 'eth0', before, after).detail.type).toBe('nat-rule');
  });
});
