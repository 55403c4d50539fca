// The page says why, as the text report does: a dropped flow's cause under its verdict, a
// rewrite's rule under the rewrite, and, without the host's state, once that causes are not
// known. An ok flow gets no why line. Host evidence from the lab (test/why/data).
import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../src/addresses.js';
import { attachCauses } from '../../src/evidence/causes.js';
import { hostEvidence } from '../../src/evidence/host-file.js';
import type { FlowReport, Hop, Report } from '../../src/model.js';
import { renderHtml } from '../../src/render/html/page.js';
import { esc } from '../../src/render/html/escape.js';
import { snapshot } from '../why/data.js';
import { whyLine } from '../../src/evidence/words.js';

const ip = (text: string) => parseAddress(text)!;

const HOPS: Hop[] = [
  { name: 'c1 eth0', role: 'container', iface: 'eth0', netns: 'container:c1', addrs: ['198.18.0.2'] },
  { name: 'veth1', role: 'veth', iface: 'veth1', netns: 'host', addrs: [] },
  { name: 'docker0', role: 'bridge', iface: 'docker0', netns: 'host', addrs: ['198.18.0.1'] },
  { name: 'eth0', role: 'uplink', iface: 'eth0', netns: 'host', addrs: ['203.0.113.1'] },
];

function flow(over: Partial<FlowReport>): FlowReport {
  return {
    id: 1, proto: 'icmp', initiator: { addr: ip('198.18.0.2') }, responder: { addr: ip('203.0.113.2') }, verdict: 'ok', reached: 'eth0', dropBetween: null,
    rewrites: [], ttl: [], latency: [], findings: [], packets: { request: 2, reply: 2 }, firstSeen: 0, lastSeen: 1, ...over,
  };
}

const report = (flows: FlowReport[]): Report => ({ hops: HOPS, flows, summary: { packetsPerHop: [2, 2, 2, 0], skippedFrames: 0, otherFlows: 0, warnings: [], timestamps: 'test' } });
const evidence = () => hostEvidence([{ role: 'host', before: snapshot('before'), after: snapshot('after') }]);
const page = (r: Report) => renderHtml(r, () => undefined, { version: 'test' });
const whyCount = (html: string) => [...html.matchAll(/class="why"/g)].length;

const DROP_WHY = 'why: dropped by a rule in chain DOCKER-USER of table filter (iptables-nft), which counted 2 packets during the trace: `-A DOCKER-USER -m mark --mark 0x0 -j DROP`';
const NOT_KNOWN = "why: not known: these captures come without the host's state (firewall rules and their counters, conntrack, settings), which `hoptrace --record` writes to host.json beside the pcaps";

describe('the HTML page and causes', () => {
  it("a dropped flow: the rule that counted its packets, under the verdict", () => {
    const dropped = flow({ verdict: 'dropped', reached: 'docker0', dropBetween: ['docker0', 'eth0'], packets: { request: 2, reply: 0 } });
    const html = page(attachCauses(report([dropped]), evidence()));
    expect(html).toContain(`<p class="verdict"><strong>verdict:</strong> dropped: requests vanished between docker0 and eth0 (last seen at docker0).</p>\n<p class="why">${esc(DROP_WHY)}</p>`);
    expect(html).not.toContain('not known');
  });

  it('an ok flow with host state: no why line anywhere (the control)', () => {
    const html = page(attachCauses(report([flow({})]), evidence()));
    expect(whyCount(html)).toBe(0);
    expect(html).not.toContain('why:');
  });

  it("without the host's state: said once for the report, no cause on any flow", () => {
    const dropped = flow({ verdict: 'dropped', reached: 'docker0', dropBetween: ['docker0', 'eth0'], packets: { request: 2, reply: 0 } });
    const html = page(attachCauses(report([dropped, { ...dropped, id: 2 }]), undefined));
    expect(whyCount(html)).toBe(0);
    expect([...html.matchAll(/<p class="cause-note">(.*?)<\/p>/g)].map((m) => m[1])).toEqual([esc(NOT_KNOWN)]);
  });
});

describe('a rewrite on the page', () => {
  it('carries the rule that made it, when the host state names one', () => {
    const snat = flow({ rewrites: [{ between: ['docker0', 'eth0'], direction: 'request', field: 'src', from: ip('198.18.0.2'), to: ip('203.0.113.1') }] });
    const r = attachCauses(report([snat]), evidence());
    const why = whyLine(r.flows[0]!.rewrites[0]!.cause!);
    expect(why).toContain('-A POSTROUTING -s 198.18.0.0/24 ! -o docker0 -j MASQUERADE');
    expect(page(r)).toContain(`<li>SNAT src 198.18.0.2 -&gt; 203.0.113.1 between docker0 and eth0<br><span class="why">${esc(why)}</span></li>`);
  });
});
