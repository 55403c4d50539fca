// A flow's own conntrack entry: an ICMP flow's echo id is not in the report, so a ping made
// before the trace to the same host fits the same tuple. The entry made during the trace is the
// flow's; when that does not settle it, none is cited and the report says so.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ownEntry } from '../../src/evidence/attribute.js';
import { parseConntrack } from '../../src/evidence/conntrack.js';
import { whyText } from '../../src/evidence/words.js';
import { hoptrace } from '../live/support.js';
import { snapshot } from './data.js';

const line = (id: number) => `ipv4     2 icmp     1 28 src=198.18.0.2 dst=203.0.113.2 type=8 code=0 id=${id} src=203.0.113.2 dst=203.0.113.1 type=0 code=0 id=${id} mark=0 use=1`;
const [warmUp, traced, other] = parseConntrack([line(7), line(7358), line(9000)].join('\n'));

describe("a flow's own conntrack entry", () => {
  it('is the one made during the trace when an older one fits too', () => {
    expect(ownEntry([warmUp!, traced!], [warmUp!])).toEqual({ entry: traced, ambiguous: false });
  });

  it('is the only one that fits, old or new', () => {
    expect(ownEntry([warmUp!], [warmUp!])).toEqual({ entry: warmUp, ambiguous: false });
  });

  it('is not known when two were made during the trace: none is cited, and the words say so', () => {
    expect(ownEntry([traced!, other!], [warmUp!])).toEqual({ ambiguous: true });
    const rule = snapshot('after').ruleset.rules.find((r) => r.target.kind === 'masquerade')!;
    expect(whyText({ kind: 'rule', detail: { type: 'nat-rule', rule, packetsDelta: 2, conntrackAmbiguous: true }, evidence: { counters: [], conntrack: [], sysctls: {} } }))
      .toBe(`source rewritten by a rule in chain POSTROUTING of table nat (iptables-nft): \`${rule.text}\`; several conntrack entries fit it, none known to be this flow's`);
  });

  it("fixtures/record-half-answered (a warm-up ping with id 7 before the trace): the SNAT and its undoing cite the traced flow's entry, id 7358", () => {
    const text = hoptrace(['replay', join(import.meta.dirname, '..', '..', 'fixtures', 'record-half-answered'), '--text']).stdout;
    const cited = text.split('\n').filter((l) => l.includes('conntrack ')).map((l) => /conntrack .*$/.exec(l)![0]);
    expect(cited).toEqual([
      'conntrack 198.18.0.2 -> 203.0.113.2 id 7358 <-> 203.0.113.2 -> 203.0.113.1 id 7358',
      'conntrack 198.18.0.2 -> 203.0.113.2 id 7358 <-> 203.0.113.2 -> 203.0.113.1 id 7358',
    ]);
  });
});
