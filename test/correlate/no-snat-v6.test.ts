// The no-snat rule over IPv6 (sourceNeedsSnat): a container's globally routable subnet leaves
// the uplink as it is by design (Docker NATs IPv6 only with NAT66 on), a ULA source does not
// come back. Bridge addresses carry their prefix, as live discovery gives them.
import { findingJson } from '../../src/render/json.js';
import { describe, expect, it } from 'vitest';
import type { Frame, Hop } from '../../src/model.js';
import { createTracer } from '../../src/pipeline/tracer.js';
import { ethernet, icmpEcho, ipv6 } from '../decode/builders.js';
import { frameAt } from './path-builders.js';

const OUT = '2001:db8::2';

function v6Path(container: string, bridge: string): Hop[] {
  return [
    { name: 'c6 eth0', role: 'container', addrs: [container] },
    { name: 'veth6', role: 'veth', addrs: [] },
    { name: 'br-6', role: 'bridge', addrs: [bridge] },
    { name: 'eth0', role: 'uplink', addrs: ['2001:db8::1/64'] },
  ];
}

/** Echo request `seq` across every hop unchanged, and its reply back when `answered`. */
function echo(src: string, seq: number, answered: boolean): Frame[] {
  const request = ethernet(0x86dd, ipv6({ src, dst: OUT, next: 58 }, icmpEcho(128, 7, seq)));
  const reply = ethernet(0x86dd, ipv6({ src: OUT, dst: src, next: 58 }, icmpEcho(129, 7, seq)));
  const frames = [0, 1, 2, 3].map((hop) => frameAt(hop, seq * 100 + hop * 0.01, request));
  if (answered) frames.push(...[3, 2, 1, 0].map((hop, i) => frameAt(hop, seq * 100 + 1 + i * 0.01, reply)));
  return frames;
}

function run(path: Hop[], frames: Frame[]) {
  const tracer = createTracer(path);
  for (const f of frames) tracer.push(f);
  const report = tracer.finish();
  expect(report.flows).toHaveLength(1);
  return report.flows[0]!;
}

describe('no-snat over IPv6', () => {
  it('is not said of a globally routable bridge subnet that leaves un-NATed and is answered', () => {
    const src = '2001:db8:1::2';
    const flow = run(v6Path(src, '2001:db8:1::1/64'), [...echo(src, 1, true), ...echo(src, 2, true)]);
    expect(flow).toMatchObject({ proto: 'icmpv6', verdict: 'ok', rewrites: [] });
    expect(flow.findings).toEqual([]);
  });

  it('is said of a ULA source that leaves the uplink un-NATed and gets no reply', () => {
    const src = 'fd00:18:1::2';
    const flow = run(v6Path(src, 'fd00:18:1::1/64'), [...echo(src, 1, false), ...echo(src, 2, false)]);
    expect(flow.verdict).toBe('no-reply');
    expect(flow.findings.map(findingJson)).toEqual([
      {
        code: 'no-snat',
        at: 'eth0',
        src,
        message: `packets leave eth0 with the container's own source ${src}, which is not routable outside: nothing rewrote it (no SNAT/MASQUERADE), so no reply can find its way back`,
      },
    ]);
  });
});
