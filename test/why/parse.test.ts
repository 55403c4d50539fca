import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../src/evidence/iptables.js';
import { parseNftRuleset } from '../../src/evidence/nft.js';
import { parseConntrack } from '../../src/evidence/conntrack.js';
import { read } from './data.js';

describe('iptables-save -c of the lab\'s Docker host', () => {
  const { chains, rules } = parseIptablesSave(read('after.iptables-nft-save.txt'), 'iptables-nft', 4);
  const rule = (text: string) => rules.find((r) => r.text === text);

  it('reads built-in chains as base chains with their hook, priority and policy', () => {
    expect(chains.find((c) => c.table === 'filter' && c.name === 'FORWARD')).toEqual({
      source: 'iptables-nft', family: 4, table: 'filter', name: 'FORWARD', hook: 'forward', priority: 0, type: 'filter', policy: 'accept', policyPackets: 0,
    });
    expect(chains.find((c) => c.table === 'filter' && c.name === 'DOCKER-USER')?.hook).toBeUndefined();
  });

  it('reads counters, negated interfaces, ports and the DNAT target', () => {
    expect(rule('-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 198.18.0.2:80')).toMatchObject({
      table: 'nat', chain: 'DOCKER', id: 2, packets: 0,
      conditions: [{ field: 'iif', neg: true, name: 'docker0' }, { field: 'proto', neg: false, proto: 6 }, { field: 'dport', neg: false, from: 8080, to: 8080 }],
      target: { kind: 'dnat', to: '198.18.0.2:80' },
    });
  });

  it('keeps a match it does not model as unknown, and reads conntrack states', () => {
    expect(rule('-A DOCKER-USER -m mark --mark 0x0 -j DROP')).toMatchObject({ packets: 2, conditions: [{ field: 'unknown', text: '-m mark --mark 0x0' }], target: { kind: 'drop' } });
    expect(rule('-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT')?.conditions)
      .toEqual([{ field: 'oif', neg: false, name: 'docker0' }, { field: 'ctstate', neg: false, states: ['RELATED', 'ESTABLISHED'] }]);
  });

  it('reads a jump to a user chain as a jump, whatever the chain is called', () => {
    expect(rule('-A FORWARD -j DOCKER-USER')?.target).toEqual({ kind: 'jump', chain: 'DOCKER-USER' });
  });
});

describe('nft -j list ruleset of the lab\'s Docker host', () => {
  const { chains, rules } = parseNftRuleset(read('after.nft.json'), read('after.nft.txt'));

  it('leaves out the tables iptables-nft manages', () => {
    expect(new Set(rules.map((r) => r.table))).toEqual(new Set(['whyfw']));
  });

  it('reads an inet table for both families, with counters, handles and the rule text', () => {
    const drop = rules.filter((r) => r.id === 2);
    expect(drop.map((r) => r.family)).toEqual([4, 6]);
    expect(drop[0]).toMatchObject({
      source: 'nft', chain: 'forward_filter', packets: 2, text: 'ip daddr 198.19.0.1 icmp type echo-request counter drop',
      conditions: [{ field: 'daddr', neg: false, prefix: '198.19.0.1' }, { field: 'proto', proto: 1 }, { field: 'icmptype', neg: false, type: 8 }],
      target: { kind: 'drop' },
    });
    expect(chains.find((c) => c.name === 'forward_filter' && c.family === 4)).toMatchObject({ hook: 'forward', priority: -10, policy: 'accept' });
  });

  it('reads a wildcard interface, a port range and reject with tcp reset', () => {
    expect(rules.find((r) => r.id === 3 && r.family === 4)).toMatchObject({
      text: 'oifname "eth*" tcp dport 5000-5010 counter reject with tcp reset',
      conditions: [{ field: 'oif', name: 'eth+' }, { field: 'proto', proto: 6 }, { field: 'dport', from: 5000, to: 5010 }],
      target: { kind: 'reject', with: 'tcp-reset' },
    });
  });
});

describe('conntrack entries', () => {
  it('reads original and reply tuples of a DNAT and of an ICMP echo, from conntrack and /proc alike', () => {
    for (const file of ['nat.conntrack.txt', 'nat.proc-nf_conntrack.txt']) {
      const [tcp, , icmp] = parseConntrack(read(file));
      expect(tcp).toMatchObject({
        family: 4, proto: 6, state: 'TIME_WAIT', assured: true, unreplied: false,
        original: { src: '203.0.113.2', dst: '203.0.113.1', sport: 56094, dport: 8080 },
        reply: { src: '198.18.0.2', dst: '203.0.113.2', sport: 80, dport: 56094 },
      });
      expect(icmp).toMatchObject({ proto: 1, unreplied: true, original: { src: '198.18.0.2', id: 7, type: 8 }, reply: { dst: '203.0.113.1', id: 7 } });
    }
  });

  it('skips the summary line and anything that is not an entry', () => {
    expect(parseConntrack('conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.\n\n')).toEqual([]);
  });
});
