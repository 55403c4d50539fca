// A live trace writes flows out before its end; evidence/live.ts gives each its causes from a
// reading of the host begun after it was retired, never from one begun earlier. The readings are
// the lab's recorded snapshots (test/why/data) handed out by a stand-in reader, so no root is needed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FlowReport, Hop, Report } from '../../src/model.js';
import type { DiscoveredPath } from '../../src/discover/path.js';
import { HOST_FILE_NAME, type HostReader, watchHost } from '../../src/evidence/live.js';
import { parseConntrackLine } from '../../src/evidence/conntrack.js';
import type { CtEntry, HostSnapshot } from '../../src/evidence/types.js';
import { whyLine } from '../../src/evidence/words.js';
import { attachCauses } from '../../src/evidence/causes.js';
import { readHostFile } from '../../src/evidence/host-file.js';
import { parseAddress } from '../../src/addresses.js';
import { snapshot } from '../why/data.js';

const ip = (text: string) => parseAddress(text)!;

const HOPS: Hop[] = [
  { name: 'c1 eth0', role: 'container', iface: 'eth0', netns: 'container:c1', addrs: ['198.18.0.2'] },
  { name: 'veth1', role: 'veth', iface: 'veth1', netns: 'host', addrs: [] },
  { name: 'docker0', role: 'bridge', iface: 'docker0', netns: 'host', addrs: ['198.18.0.1'] },
  { name: 'eth0', role: 'uplink', iface: 'eth0', netns: 'host', addrs: ['203.0.113.1'] },
];
const PATH = { target: { hostNetns: { label: 'test', path: '/nonexistent' } }, hops: HOPS, addrs: ['198.18.0.2/24'] } as unknown as DiscoveredPath;

function flow(id: number, over: Record<string, unknown> = {}): FlowReport {
  return {
    id, proto: 'icmp', initiator: { addr: ip('198.18.0.2') }, responder: { addr: ip('203.0.113.2') }, verdict: 'ok', reached: 'eth0', dropBetween: null,
    rewrites: [], ttl: [], latency: [], findings: [], packets: { request: 2, reply: 2 }, firstSeen: 0, lastSeen: 1, ...over,
  } as unknown as FlowReport;
}
const dropped = (id: number) => flow(id, { verdict: 'dropped', reached: 'docker0', dropBetween: ['docker0', 'eth0'], packets: { request: 2, reply: 0 } });
/** A ping SNATed on its way out and un-SNATed on its way back: only a conntrack entry tells which rule made the reply's mapping. */
const unSnat = (id: number) => flow(id, {
  rewrites: [
    { between: ['docker0', 'eth0'], direction: 'request', field: 'src', from: ip('198.18.0.2'), to: ip('203.0.113.1') },
    { between: ['eth0', 'docker0'], direction: 'reply', field: 'dst', from: ip('203.0.113.1'), to: ip('198.18.0.2') },
  ],
});

const DROP_LINE = 'why: dropped by a rule in chain DOCKER-USER of table filter (iptables-nft), which counted 2 packets during the trace: `-A DOCKER-USER -m mark --mark 0x0 -j DROP`';
const PING_ENTRY = parseConntrackLine('ipv4     2 icmp     1 29 src=198.18.0.2 dst=203.0.113.2 type=8 code=0 id=7 src=203.0.113.2 dst=203.0.113.1 type=0 code=0 id=7 mark=0 use=1')!;
const OTHER_ENTRY = parseConntrackLine('ipv4     2 icmp     1 29 src=198.18.9.9 dst=203.0.113.2 type=8 code=0 id=7 src=203.0.113.2 dst=203.0.113.1 type=0 code=0 id=7 mark=0 use=1')!;

/** Readings answered when the test says so: the first is the one before the trace. */
function reader(conntrack: () => CtEntry[] = () => []) {
  const calls: { started: number; resolve: (s: HostSnapshot) => void }[] = [];
  const host: HostReader = {
    snapshot: () => new Promise((resolve) => calls.push({ started: performance.now(), resolve })),
    conntrack: async () => conntrack(),
  };
  return { host, calls };
}

const until = async (done: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(done()).toBe(true);
};

async function started(r: ReturnType<typeof reader>, options: { readingGapMs?: number; maxWaiting?: number } = {}) {
  const out: FlowReport[] = [];
  const limits = { readingGapMs: options.readingGapMs ?? 10, ...(options.maxWaiting === undefined ? {} : { maxWaiting: options.maxWaiting }) };
  const watching = watchHost(PATH, { traceRules: false, onRetired: (f) => out.push(f), ...limits, reader: r.host });
  await until(() => r.calls.length === 1);
  r.calls[0]!.resolve(snapshot('before'));
  return { watch: await watching, out };
}

const report = (flows: FlowReport[]): Report => ({ hops: HOPS, flows, summary: { packetsPerHop: [], skippedFrames: 0, otherFlows: 0, warnings: [], timestamps: 'test' } });

describe('flows retired during a live trace', () => {
  it('get the rule that dropped them from a reading begun after they were retired, and are passed on then', async () => {
    const r = reader();
    const { watch, out } = await started(r);
    const retiredAt = performance.now();
    watch.retired(dropped(1), HOPS);
    expect(out).toEqual([]);
    await until(() => r.calls.length === 2);
    expect(r.calls[1]!.started).toBeGreaterThanOrEqual(retiredAt);
    r.calls[1]!.resolve(snapshot('after'));
    await until(() => out.length === 1);
    expect(whyLine(out[0]!.cause!)).toBe(DROP_LINE);
    await watch.stop();
  });

  it('never take their causes from a reading begun before they were retired', async () => {
    const r = reader();
    const { watch, out } = await started(r);
    watch.retired(dropped(1), HOPS);
    await until(() => r.calls.length === 2);
    // Flow 2 is retired while reading 2 runs: its packets may not be in reading 2's counters.
    watch.retired(dropped(2), HOPS);
    r.calls[1]!.resolve(snapshot('before'));
    await until(() => out.length === 1);
    expect(out[0]!.id).toBe(1);
    // Reading 2 counted nothing since the start: flow 1 is told so, not given a rule.
    expect(whyLine(out[0]!.cause!)).toBe('why: the cause is not known: the rule that fits them, `-A DOCKER-USER -d 203.0.113.2/32 -p icmp -j DROP`, counted 0 of their 2 packets');
    await until(() => r.calls.length === 3);
    expect(out).toHaveLength(1);
    r.calls[2]!.resolve(snapshot('after'));
    await until(() => out.length === 2);
    expect(out[1]!.id).toBe(2);
    expect(whyLine(out[1]!.cause!)).toBe(DROP_LINE);
    await watch.stop();
  });

  it('with nothing to attribute and nothing ahead of them, are passed on at once without a reading', async () => {
    const r = reader();
    const { watch, out } = await started(r);
    watch.retired(flow(1), HOPS);
    expect(out.map((f) => [f.id, f.cause])).toEqual([[1, undefined]]);
    await new Promise((res) => setTimeout(res, 40));
    expect(r.calls).toHaveLength(1);
    await watch.stop();
  });

  it('keep the order they were retired in: an ok flow waits behind a dropped one', async () => {
    const r = reader();
    const { watch, out } = await started(r);
    watch.retired(dropped(1), HOPS);
    watch.retired(flow(2), HOPS);
    expect(out).toEqual([]);
    await until(() => r.calls.length === 2);
    r.calls[1]!.resolve(snapshot('after'));
    await until(() => out.length === 2);
    expect(out.map((f) => [f.id, f.cause === undefined])).toEqual([[1, false], [2, true]]);
    await watch.stop();
  });

  it('are read for at most once per gap: flows retired in the meantime share the next reading', async () => {
    const r = reader();
    const { watch, out } = await started(r, { readingGapMs: 300 });
    watch.retired(dropped(1), HOPS);
    await until(() => r.calls.length === 2);
    const first = r.calls[1]!.started;
    r.calls[1]!.resolve(snapshot('after'));
    await until(() => out.length === 1);
    watch.retired(dropped(2), HOPS);
    watch.retired(dropped(3), HOPS);
    await until(() => r.calls.length === 3);
    expect(r.calls[2]!.started - first).toBeGreaterThanOrEqual(295);
    r.calls[2]!.resolve(snapshot('after'));
    await until(() => out.length === 3);
    expect(r.calls).toHaveLength(3);
    await watch.stop();
  });

  it('past the most that may wait, start a reading at once, gap or not: memory stays bounded at any flow rate', async () => {
    const r = reader();
    const { watch, out } = await started(r, { readingGapMs: 60_000, maxWaiting: 2 });
    watch.retired(dropped(1), HOPS);
    await until(() => r.calls.length === 2);
    r.calls[1]!.resolve(snapshot('after'));
    await until(() => out.length === 1);
    watch.retired(dropped(2), HOPS);
    watch.retired(dropped(3), HOPS);
    await new Promise((res) => setTimeout(res, 40));
    // Two wait, as many as may: the next reading keeps to the minute's gap.
    expect(r.calls).toHaveLength(2);
    watch.retired(dropped(4), HOPS);
    await until(() => r.calls.length === 3);
    r.calls[2]!.resolve(snapshot('after'));
    await until(() => out.length === 4);
    expect(out.map((f) => [f.id, whyLine(f.cause!)])).toEqual([1, 2, 3, 4].map((id) => [id, DROP_LINE]));
    await watch.stop();
  });

  it("take the hops the flow names, not the path's relay-only lo: an unanswered flow left by eth0", async () => {
    const r = reader();
    const out: FlowReport[] = [];
    const lo: Hop = { name: 'lo', role: 'host', iface: 'lo', netns: 'host', addrs: [] };
    const withLo = { ...PATH, hops: [...HOPS, lo] } as unknown as DiscoveredPath;
    const watching = watchHost(withLo, { traceRules: false, onRetired: (f) => out.push(f), readingGapMs: 10, reader: r.host });
    await until(() => r.calls.length === 1);
    r.calls[0]!.resolve(snapshot('before'));
    const watch = await watching;
    watch.retired(flow(1, { verdict: 'unanswered', reached: 'eth0', packets: { request: 2, reply: 0 } }), HOPS);
    await until(() => r.calls.length === 2);
    r.calls[1]!.resolve(snapshot('after'));
    await until(() => out.length === 1);
    expect(whyLine(out[0]!.cause!)).toBe('why: no rule or setting here accounts for it: the packets left this host by eth0');
    // Without the hops given, the path's are taken without the lo.
    watch.retired(flow(2, { verdict: 'unanswered', reached: 'eth0', packets: { request: 2, reply: 0 } }));
    await until(() => r.calls.length === 3);
    r.calls[2]!.resolve(snapshot('after'));
    await until(() => out.length === 2);
    expect(whyLine(out[1]!.cause!)).toBe('why: no rule or setting here accounts for it: the packets left this host by eth0');
    await watch.stop();
  });

  it('still waiting at the end get the final reading, are passed on before the report, and the report gets its causes', async () => {
    const r = reader();
    const { watch, out } = await started(r, { readingGapMs: 60_000 });
    watch.retired(dropped(1), HOPS);
    await until(() => r.calls.length === 2);
    r.calls[1]!.resolve(snapshot('after'));
    await until(() => out.length === 1);
    // The next reading may only start a minute later: the end comes first.
    watch.retired(dropped(2), HOPS);
    const finished = watch.finish(report([dropped(3)]));
    await until(() => r.calls.length === 3);
    expect(out).toHaveLength(1);
    r.calls[2]!.resolve({ ...snapshot('after'), gaps: ['conntrack: not found'] });
    const done = await finished;
    expect(out.map((f) => [f.id, whyLine(f.cause!)])).toEqual([[1, DROP_LINE], [2, DROP_LINE]]);
    expect(done.flows.map((f) => whyLine(f.cause!))).toEqual([DROP_LINE]);
    expect(done.causes).toEqual({ evidence: 'host', traceRules: false, gaps: ['conntrack: not found'] });
  });

  it("keep the traced container's conntrack entry seen during the trace once conntrack has forgotten it", async () => {
    const r = reader(() => [PING_ENTRY, OTHER_ENTRY]);
    const { watch, out } = await started(r);
    // A sample of conntrack is taken every gap while the trace runs.
    await new Promise((res) => setTimeout(res, 60));
    watch.retired(unSnat(1), HOPS);
    await until(() => r.calls.length === 2);
    r.calls[1]!.resolve({ ...snapshot('after'), conntrack: [] });
    await until(() => out.length === 1);
    const cause = out[0]!.rewrites[1]!.cause!;
    expect(whyLine(cause)).toBe(
      'why: reply rewritten by conntrack, undoing the source NAT made by a rule in chain POSTROUTING of table nat (iptables-nft): `-A POSTROUTING -s 198.18.0.0/24 ! -o docker0 -j MASQUERADE`; conntrack 198.18.0.2 -> 203.0.113.2 id 7 <-> 203.0.113.2 -> 203.0.113.1 id 7',
    );
    expect(cause.evidence.conntrack).toEqual([PING_ENTRY]);
    await watch.stop();
  });

  it("keep in the recording's host.json the conntrack entry a retired flow's cause named, long after it was last seen: a replay finds the same cause", async () => {
    let table = [PING_ENTRY, OTHER_ENTRY];
    const r = reader(() => table);
    const out: FlowReport[] = [];
    // Entries unseen for 1 ms are forgotten: a watch of hours in miniature.
    const watching = watchHost(PATH, { traceRules: false, onRetired: (f) => out.push(f), readingGapMs: 10, conntrackKeepMs: 1, reader: r.host });
    await until(() => r.calls.length === 1);
    r.calls[0]!.resolve(snapshot('before'));
    const watch = await watching;
    await new Promise((res) => setTimeout(res, 60));
    watch.retired(unSnat(1), HOPS);
    await until(() => r.calls.length === 2);
    r.calls[1]!.resolve({ ...snapshot('after'), conntrack: [] });
    await until(() => out.length === 1);
    // conntrack forgets both entries; the samples go on for longer than the keep time.
    table = [];
    await new Promise((res) => setTimeout(res, 60));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-retired-'));
    try {
      const finished = watch.finish(report([]), dir);
      await until(() => r.calls.length === 3);
      r.calls[2]!.resolve({ ...snapshot('after'), conntrack: [] });
      await finished;
      const recorded = readHostFile(path.join(dir, HOST_FILE_NAME));
      const after = recorded.namespaces[0]!.after.conntrack;
      // The entry the flow's cause named is kept; the one no cause named is not.
      expect(after).toEqual([PING_ENTRY]);
      const replayed = attachCauses(report([unSnat(1)]), recorded).flows[0]!;
      expect(whyLine(replayed.rewrites[1]!.cause!)).toBe(whyLine(out[0]!.rewrites[1]!.cause!));
      expect(replayed.rewrites[1]!.cause!.evidence.conntrack).toEqual([PING_ENTRY]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without a conntrack entry seen anywhere, a reply rewrite is not attributed to conntrack', async () => {
    const r = reader(() => [OTHER_ENTRY]);
    const { watch, out } = await started(r);
    await new Promise((res) => setTimeout(res, 60));
    watch.retired(unSnat(1), HOPS);
    await until(() => r.calls.length === 2);
    r.calls[1]!.resolve({ ...snapshot('after'), conntrack: [] });
    await until(() => out.length === 1);
    const cause = out[0]!.rewrites[1]!.cause!;
    expect(cause.detail).not.toMatchObject({ reverse: true });
    expect(cause.evidence.conntrack).toEqual([]);
    await watch.stop();
  });
});
