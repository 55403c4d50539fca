// The issue-14 rules on packets built in the test, each with a case where its finding must not
// appear: a reset after the answer is a close; no missing-SNAT warning beside replies; in
// flight only when no later packet crossed the pair and within the transit bound; link chatter
// is never a flow; an ICMPv6 packet too big is named with its MTU.
import { describe, expect, it } from 'vitest';
import { createTracer } from '../../src/pipeline/tracer.js';
import { ACK, RST, SYN, bytes, ethernet, icmpEcho, icmpError, ipv6, tcp } from '../decode/builders.js';
import type { Frame } from '../../src/model.js';
import { findingText, answerName } from '../../src/render/findings.js';
import { flowJson } from '../../src/render/json.js';
import { parseAddress } from '../../src/addresses.js';
import { C1, DOCKER_PATH, frameAt, HOST, ip4, OUT } from './path-builders.js';


function run(frames: Frame[]) {
  const tracer = createTracer(DOCKER_PATH);
  for (const f of frames.sort((a, b) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec)) tracer.push(f);
  const report = tracer.finish();
  return { ...report, flows: report.flows.map(flowJson) };
}

/** A packet crossing hops `from`..`to` (either way), 10 us per hop, built per hop by `at(hop)`. */
function along(from: number, to: number, ms: number, at: (hop: number) => Uint8Array): Frame[] {
  const step = from <= to ? 1 : -1;
  const frames: Frame[] = [];
  for (let hop = from, i = 0; hop !== to + step; hop += step, i++) frames.push(frameAt(hop, ms + i * 0.01, at(hop)));
  return frames;
}

/** c1:40010 <-> 203.0.113.2:80, SNATed to 203.0.113.1:61010 at the uplink. */
const out = (hop: number, flags: number, seq: number, ack: number, data = 0) =>
  ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: seq & 0xffff, proto: 6 }, tcp({ sport: hop === 3 ? 61010 : 40010, dport: 80, seq, ack, flags }, bytes(data)));
const back = (hop: number, flags: number, seq: number, ack: number, data = 0) =>
  ip4({ src: OUT, dst: hop === 3 ? HOST : C1, id: (seq + 7) & 0xffff, proto: 6 }, tcp({ sport: 80, dport: hop === 3 ? 61010 : 40010, seq, ack, flags }, bytes(data)));

describe('a reset after the answer is a close, not a rejection', () => {
  it('says ok with a reset-close finding naming the responder', () => {
    const frames = [
      ...along(0, 3, 0, (h) => out(h, SYN, 100, 0)),
      ...along(3, 0, 1, (h) => back(h, SYN | ACK, 500, 101)),
      ...along(0, 3, 2, (h) => out(h, ACK, 101, 501, 20)),
      ...along(3, 0, 3, (h) => back(h, ACK, 501, 121, 30)),
      ...along(3, 0, 4, (h) => back(h, RST | ACK, 531, 121)),
    ];
    const [flow] = run(frames).flows;
    expect(flow).toMatchObject({ verdict: 'ok', packets: { request: 2, reply: 3 } });
    expect(flow!.findings).toEqual([
      { code: 'reset-close', side: 'responder', from: OUT, message: 'the connection was ended by a TCP reset from 203.0.113.2 (the responder) after it was answered: a close, not a rejection' },
    ]);
  });

  it('says rejected, without reset-close, when the reset is the only answer', () => {
    const [flow] = run([...along(0, 3, 0, (h) => out(h, SYN, 100, 0)), ...along(3, 0, 1, (h) => back(h, RST | ACK, 0, 101))]).flows;
    expect(flow!.verdict).toBe('rejected');
    expect(flow!.findings.map((f) => f.code)).toEqual(['rejected']);
  });

  it('names the initiator when it resets after the answer', () => {
    const frames = [
      ...along(0, 3, 0, (h) => out(h, SYN, 100, 0)),
      ...along(3, 0, 1, (h) => back(h, SYN | ACK, 500, 101)),
      ...along(0, 3, 2, (h) => out(h, RST | ACK, 101, 501)),
    ];
    expect(run(frames).flows[0]!.findings).toMatchObject([{ code: 'reset-close', side: 'initiator', from: C1 }]);
  });
});

describe('no missing-SNAT warning beside replies that came', () => {
  it('says nothing of SNAT when requests leave with the private source and replies come back', () => {
    const req = (hop: number) => ip4({ src: C1, dst: OUT, id: 12, ttl: hop === 3 ? 63 : 64, proto: 1 }, icmpEcho(8, 5, 1));
    const rep = (hop: number) => ip4({ src: OUT, dst: C1, id: 13, ttl: hop === 3 ? 64 : 63, proto: 1 }, icmpEcho(0, 5, 1));
    const [flow] = run([...along(0, 3, 0, req), ...along(3, 0, 1, rep)]).flows;
    expect(flow).toMatchObject({ verdict: 'ok', findings: [] });
  });
});

describe('in flight only when the packet can still be on its way', () => {
  const req = (seq: number) => (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: seq, proto: 1 }, icmpEcho(8, 5, seq));

  it('a request last seen at docker0 just before the end is in flight', () => {
    const [flow] = run([...along(0, 3, 0, req(1)), ...along(0, 2, 0.5, req(2))]).flows;
    expect(flow!.findings).toMatchObject([{ code: 'in-flight', direction: 'request', count: 1 }]);
  });

  it('but not when a later request of the flow crossed docker0 -> eth0: it vanished', () => {
    const [flow] = run([...along(0, 2, 0, req(1)), ...along(0, 3, 0.5, req(2))]).flows;
    expect(flow).toMatchObject({ verdict: 'no-reply', packets: { request: 2, reply: 0 } });
    expect(flow!.findings).toEqual([{ code: 'partial-loss', direction: 'request', count: 1, of: 2, between: ['docker0', 'eth0'], message: '1 of 2 requests vanished between docker0 and eth0' }]);
  });

  it('nor when the end of the capture is past the transit bound (2 ms floor here), though within the window', () => {
    const [flow] = run([...along(0, 2, 0, req(1)), ...along(0, 0, 3, req(9))]).flows;
    expect(flow!.findings.filter((f) => f.code === 'in-flight')).toMatchObject([{ code: 'in-flight', direction: 'request', count: 1 }]);
    expect(flow!.dropBetween).toEqual(['docker0', 'eth0']);
  });
});

describe('link chatter is never a flow', () => {
  const v6Hops = [
    { name: 'c1 eth0', role: 'container' as const, addrs: ['2001:db8::2'] },
    { name: 'eth0', role: 'uplink' as const, addrs: ['2001:db8::1'] },
  ];
  const icmp6 = (type: number, rest: number[]) => Uint8Array.from([type, 0, 0, 0, ...rest]);

  it('leaves out neighbour solicitation, router solicitation and MLD; an echo is a flow', () => {
    const tracer = createTracer(v6Hops);
    const frames = [
      ethernet(0x86dd, ipv6({ src: 'fe80::2', dst: 'ff02::1:ff00:1', next: 58, hopLimit: 255 }, icmp6(135, new Array(20).fill(0)))),
      ethernet(0x86dd, ipv6({ src: 'fe80::2', dst: 'ff02::2', next: 58, hopLimit: 255 }, icmp6(133, [0, 0, 0, 0]))),
      ethernet(0x86dd, ipv6({ src: 'fe80::2', dst: 'ff02::16', next: 58, hopLimit: 1 }, icmp6(143, [0, 0, 0, 0]))),
      ethernet(0x0800, Uint8Array.from([0x45, 0, 0, 28, 0, 1, 0, 0, 1, 17, 0, 0, 198, 18, 0, 2, 224, 0, 0, 251, 0x14, 0xe9, 0x14, 0xe9, 0, 8, 0, 0])),
    ];
    frames.forEach((data, i) => tracer.push(frameAt(0, i, data)));
    tracer.push(frameAt(0, 10, ethernet(0x86dd, ipv6({ src: '2001:db8::2', dst: '2001:db8:1::9', next: 58 }, icmpEcho(128, 7, 1)))));
    const report = tracer.finish();
    expect(report.summary.skippedFrames).toBe(4);
    expect(report.flows.map(flowJson).map((f) => [f.proto, f.initiator, f.responder])).toEqual([['icmpv6', '2001:db8::2', '2001:db8:1::9']]);
  });
});

describe('errors that name an MTU', () => {
  it('an ICMPv6 packet too big is named with the MTU it carries', () => {
    const quoted = ipv6({ src: '2001:db8::2', dst: '2001:db8:1::9', next: 58 }, icmpEcho(128, 7, 1, bytes(1400)));
    const tracer = createTracer([{ name: 'c1 eth0', role: 'container', addrs: ['2001:db8::2'] }, { name: 'eth0', role: 'uplink', addrs: [] }]);
    tracer.push(frameAt(0, 0, ethernet(0x86dd, quoted)));
    tracer.push(frameAt(1, 0.01, ethernet(0x86dd, quoted)));
    const error = ipv6({ src: '2001:db8::1', dst: '2001:db8::2', next: 58 }, icmpError(2, 0, quoted.subarray(0, 1232), [0, 0, 0x05, 0x00]));
    tracer.push(frameAt(1, 0.1, ethernet(0x86dd, error)));
    tracer.push(frameAt(0, 0.11, ethernet(0x86dd, error)));
    const [flow] = tracer.finish().flows;
    const rejected = flow!.findings.find((f) => f.code === 'rejected');
    expect(rejected).toMatchObject({ answer: { kind: 'icmp-error', v6: true, type: 2, code: 0, from: parseAddress('2001:db8::1'), mtu: 1280 } });
    expect(rejected?.code === 'rejected' && answerName(rejected.answer)).toBe('ICMPv6 packet too big (MTU 1280)');
  });

  it('an error without an MTU is named without one', () => {
    expect(answerName({ kind: 'icmp-error', v6: false, type: 3, code: 3, from: parseAddress(OUT)! })).toBe('ICMP port unreachable');
  });
});

describe('the bridge note of hop-not-seeing-flow', () => {
  it('is said only of a bridge', () => {
    expect(findingText({ code: 'hop-not-seeing-flow', at: 'docker0', count: 2, bridge: true })).toBe(
      "docker0 saw none of this flow's packets though they crossed it (a bridge device does not see traffic forwarded between two of its ports)",
    );
    expect(findingText({ code: 'hop-not-seeing-flow', at: 'eth0', count: 2, bridge: false })).toBe("eth0 saw none of this flow's packets though they crossed it");
  });
});

describe('a fragmented echo is one flow', () => {
  const data = bytes(1600);
  const echo = icmpEcho(8, 9, 1, data);
  const first = (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: 321, proto: 1, more: true }, echo.subarray(0, 1480));
  const rest = (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: 321, proto: 1, fragOffset: 1480 }, echo.subarray(1480));

  it("ties the later fragment to its first fragment's flow", () => {
    const report = run([...along(0, 3, 0, first), ...along(0, 3, 0.1, rest)]);
    expect(report.flows.map((f) => [f.proto, f.packets])).toEqual([['icmp', { request: 2, reply: 0 }]]);
  });

  it('keeps a later fragment without its first fragment as a flow of its own, named by protocol number', () => {
    const report = run(along(0, 3, 0.1, rest));
    expect(report.flows.map((f) => f.proto)).toEqual(['ip-proto-1']);
  });
});
