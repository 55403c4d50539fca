// The multi-host frame source (src/capture/remote/source.ts) with capture nodes made in the
// test: each node's offset applied, frames merged in time order, a node lost mid-trace ending
// its own hops only, a node that cannot start naming itself.
import { describe, expect, it } from 'vitest';
import type { Frame, Hop } from '../../src/model.js';
import { EnvironmentError } from '../../src/errors.js';
import { remoteSource } from '../../src/capture/remote/source.js';
import { wallClockNs } from '../../src/capture/remote/clock.js';
import type { CaptureNode, ClockOffset, HelperEnd, RemoteHelper } from '../../src/capture/remote/transport.js';
import type { WireRecord } from '../../src/capture/live/wire.js';

interface FakeHelper extends RemoteHelper {
  emit(record: WireRecord): void;
  end(end: HelperEnd): void;
}

function fakeHelper(node: string): FakeHelper {
  const listeners: ((r: WireRecord) => void)[] = [];
  let finish!: (end: HelperEnd) => void;
  const ended = new Promise<HelperEnd>((resolve) => (finish = resolve));
  return {
    node,
    ended,
    onRecord: (l) => void listeners.push(l),
    stop: async () => (finish({ exitCode: 0 }), ended),
    emit: (r) => listeners.forEach((l) => l(r)),
    end: (e) => finish(e),
  };
}

function fakeNode(name: string, helper: FakeHelper | Error): CaptureNode {
  return {
    name,
    prepare: async () => undefined,
    startHelper: async () => {
      if (helper instanceof Error) throw helper;
      return helper;
    },
    measureClock: async () => ({ offsetNs: 0n, uncertaintyNs: 0n, samples: 1 }),
    removeLeftovers: async () => 0,
  };
}

const hops: Hop[] = [
  { name: 'h1 c1 eth0', role: 'container', addrs: [], host: 'h1' },
  { name: 'h1 eth0', role: 'uplink', addrs: [], host: 'h1' },
  { name: 'h2 eth0', role: 'uplink', addrs: [], host: 'h2' },
  { name: 'h2 c2 eth0', role: 'container', addrs: [], host: 'h2' },
];
const clock = (offsetMs: number): ClockOffset => ({ offsetNs: BigInt(offsetMs * 1e6), uncertaintyNs: 1_000_000n, samples: 8 });
const taps = (first: number) => [first, first + 1].map((hop) => ({ hop, iface: 'eth0', filter: '' }));

function packet(hop: number, atNs: bigint): WireRecord {
  return { type: 'packet', hop, tsSec: Number(atNs / 1_000_000_000n), tsNsec: Number(atNs % 1_000_000_000n), origLen: 60, data: new Uint8Array(60) };
}
const ready = (hop: number): WireRecord => ({ type: 'ready', hop, linkType: 1, iface: 'eth0', precision: 'nano' });

async function started(h1: FakeHelper, h2: FakeHelper, h2OffsetMs: number) {
  const said: string[] = [];
  const source = remoteSource({
    hops, description: 'test', notes: [], onProblem: (l) => said.push(l), readyMs: 2000,
    nodes: [{ node: fakeNode('h1', h1), taps: taps(0), clock: clock(0) }, { node: fakeNode('h2', h2), taps: taps(2), clock: clock(h2OffsetMs) }],
  });
  const pushed: Frame[] = [];
  const ended: { hop: number; ns: bigint }[] = [];
  const starting = source.start({
    push: (f) => void pushed.push(f),
    tick: () => undefined,
    hopEnded: (hop, sec, nsec) => void ended.push({ hop, ns: BigInt(sec) * 1_000_000_000n + BigInt(nsec) }),
  });
  await Promise.resolve();
  await new Promise((r) => setTimeout(r, 10));
  for (const hop of [0, 1]) h1.emit(ready(hop));
  for (const hop of [2, 3]) h2.emit(ready(hop));
  await starting;
  return { source, pushed, said, ended };
}

describe('frames from several hosts as one source', () => {
  it("moves each host's timestamps onto our clock by its offset and hands the frames over in that order", async () => {
    const [h1, h2] = [fakeHelper('h1'), fakeHelper('h2')];
    const { source, pushed } = await started(h1, h2, 5);
    const t0 = wallClockNs() - 2_000_000_000n;
    // h2's clock is 5 ms ahead: its stamp t0+6ms is t0+1ms on ours, before h1's t0+2ms.
    h1.emit(packet(1, t0 + 2_000_000n));
    h2.emit(packet(2, t0 + 6_000_000n));
    h1.emit(packet(0, t0));
    source.stop();
    await source.ended;
    const on = (f: Frame) => (BigInt(f.tsSec) * 1_000_000_000n + BigInt(f.tsNsec) - t0) / 1_000_000n;
    expect(pushed.map((f) => [f.hop, on(f)])).toEqual([[0, 0n], [2, 1n], [1, 2n]]);
    expect(source.warnings()).toEqual([]);
  });

  it("a host lost mid-trace ends its own hops with a warning; the other host's hops go on", async () => {
    const [h1, h2] = [fakeHelper('h1'), fakeHelper('h2')];
    const before = wallClockNs();
    const { source, pushed, said, ended } = await started(h1, h2, 0);
    const heard = wallClockNs();
    await new Promise((r) => setTimeout(r, 20));
    h2.end({ problem: 'connection lost: read ECONNRESET' });
    await new Promise((r) => setTimeout(r, 10));
    const t0 = wallClockNs() - 2_000_000_000n;
    h1.emit(packet(0, t0));
    const line = "host h2: connection lost: read ECONNRESET; its hops (h2 eth0, h2 c2 eth0) end here, the other hosts' go on; a packet that could reach those hops in their last second heard from or later is counted as not captured there, not as vanished";
    // Both of h2's hops are told ended a second before h2 was last heard from (its ready records: frames of that second may never have been sent), not when the loss was noticed 20 ms later.
    expect(ended.map((e) => e.hop)).toEqual([2, 3]);
    for (const e of ended) expect(e.ns >= before - 1_000_000_000n && e.ns <= heard - 1_000_000_000n).toBe(true);
    expect(said).toEqual([line]);
    expect(source.hopStatus().map((s) => s.problem)).toEqual([undefined, undefined, 'host h2: connection lost: read ECONNRESET', 'host h2: connection lost: read ECONNRESET']);
    source.stop();
    await source.ended;
    expect(pushed.map((f) => f.hop)).toEqual([0]);
    expect(source.warnings()).toEqual([line]);
  });

  it('a host whose helper cannot start: the source does not start, and the error names the host', async () => {
    const source = remoteSource({
      hops, description: 'test', notes: [], onProblem: () => undefined, readyMs: 500,
      nodes: [
        { node: fakeNode('h1', fakeHelper('h1')), taps: taps(0), clock: clock(0) },
        { node: fakeNode('h2', new EnvironmentError('host h2 (tcp://203.0.113.3:2375): starting the capture helper: no such image')), taps: taps(2), clock: clock(0) },
      ],
    });
    await expect(source.start({ push: () => undefined, tick: () => undefined })).rejects.toThrow('host h2 (tcp://203.0.113.3:2375): starting the capture helper: no such image');
  });
});

describe('kernel timestamps and counts of remote hops', () => {
  it('states the kernel precision once every hop is open, and no unit before', async () => {
    const [h1, h2] = [fakeHelper('h1'), fakeHelper('h2')];
    const source = remoteSource({
      hops, description: 'test', notes: [], onProblem: () => undefined, readyMs: 2000,
      nodes: [{ node: fakeNode('h1', h1), taps: taps(0), clock: clock(0) }, { node: fakeNode('h2', h2), taps: taps(2), clock: clock(3) }],
    });
    const starting = source.start({ push: () => undefined, tick: () => undefined });
    await new Promise((r) => setTimeout(r, 10));
    const tail = "on each host's own real-time clock, then moved onto hoptrace's clock by that host's offset measured at the start: between hops of one host as precise as the kernel's, across hosts only to the clocks' agreement (see the hosts line)";
    expect(source.timestamps).toBe(`taken by the kernel as each hop's capture saw the packet (libpcap's packet header), ${tail}`);
    for (const hop of [0, 1]) h1.emit(ready(hop));
    for (const hop of [2, 3]) h2.emit({ type: 'ready', hop, linkType: 1, iface: 'eth0', precision: hop === 3 ? 'micro' : 'nano' });
    await starting;
    expect(source.timestamps).toBe(`taken by the kernel as each hop's capture saw the packet (libpcap's packet header, in nanoseconds at h1 c1 eth0, nanoseconds at h1 eth0, nanoseconds at h2 eth0, microseconds at h2 c2 eth0), ${tail}`);
    expect(source.notes[0]).toBe(`timestamps: ${source.timestamps}`);
    source.stop();
    await source.ended;
  });

  it("carries each remote hop's kernel counts into the hop status and warns of the packets the kernel lost", async () => {
    const [h1, h2] = [fakeHelper('h1'), fakeHelper('h2')];
    const { source } = await started(h1, h2, 0);
    h1.emit({ type: 'stats', hop: 0, counters: { received: 7, dropped: 0, ifDropped: 0, captured: 7, final: false } });
    h2.emit({ type: 'stats', hop: 3, counters: { received: 9, dropped: 2, ifDropped: 0, captured: 7, final: false } });
    expect(source.hopStatus().map((s) => s.kernel)).toEqual([{ received: 7, dropped: 0, ifDropped: 0 }, undefined, undefined, { received: 9, dropped: 2, ifDropped: 0 }]);
    expect(source.warnings()).toEqual(['h2 c2 eth0: 2 of 9 packets dropped by the kernel before the capture read them']);
    h1.emit({ type: 'stats', hop: 0, counters: { received: 8, dropped: 0, ifDropped: 0, captured: 8, final: true } });
    source.stop();
    await source.ended;
    // Ended: only final counts are the truth; h2's last count is a lower bound.
    expect(source.hopStatus().map((s) => s.kernel)).toEqual([{ received: 8, dropped: 0, ifDropped: 0 }, undefined, undefined, undefined]);
    expect(source.warnings()).toEqual(['h2 c2 eth0: at least 2 packets dropped by the kernel before the capture read them (its last count before the capture ended)']);
  });
});
