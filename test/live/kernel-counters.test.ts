// The capture helper against a veth of namespaces of its own (no Docker): kernel timestamps,
// snaplen, and libpcap's counters as the helper reports them. Needs root.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Frame } from '../../src/model.js';
import type { HopCaptureStats, NetnsCapture } from '../../src/capture/live/netns-capture.js';
import type { CaptureSpec } from '../../src/capture/live/helper.js';
import { WireReader, type WireRecord } from '../../src/capture/live/wire.js';
import { buildCli, ROOT, skipReason } from './support.js';

const skip = skipReason(false);
const [A, B] = ['a', 'b'].map((s) => `ht-${process.env.HT_LAB_ID ?? 'x'}-kc${process.pid % 10000}-${s}`);
const SIZE = 1042;
// The built module: it starts the helper that sits beside it in dist/.
let built: typeof import('../../src/capture/live/netns-capture.js');
let liveSession: typeof import('../../src/capture/live/live-session.js');

function sh(script: string): void {
  execFileSync('sh', ['-ec', script], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function inject(count: number): void {
  execFileSync('nsenter', [`--net=/var/run/netns/${A}`, process.execPath, join(ROOT, 'test', 'live', 'inject.mjs'), 'eth0', String(count), String(SIZE)], { timeout: 30_000 });
}

async function capture(ringPackets: number, during: (helper: NetnsCapture) => Promise<void>): Promise<{ frames: Frame[]; stats: HopCaptureStats }> {
  const frames: Frame[] = [];
  const problems: string[] = [];
  const helper = built.startNetnsCapture(
    { netns: { label: B, path: `/var/run/netns/${B}` }, taps: [{ hop: 3, iface: 'eth0', filter: 'udp port 9' }], ringPackets },
    { opened: () => undefined, frame: (f) => frames.push(f), problem: (_hop, m) => problems.push(m) },
  );
  await helper.ready;
  await during(helper);
  helper.stop();
  await helper.ended;
  expect(problems).toEqual([]);
  return { frames, stats: helper.stats().get(3)! };
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(skip)(`the capture helper's kernel timestamps and counters${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(async () => {
    buildCli();
    built = (await import(join(ROOT, 'dist', 'capture', 'live', 'netns-capture.js'))) as typeof built;
    liveSession = (await import(join(ROOT, 'dist', 'capture', 'live', 'live-session.js'))) as typeof liveSession;
    sh(`for n in ${A} ${B}; do ip netns del $n 2>/dev/null || true; ip netns add $n; ip -n $n link set lo up; done
      ip -n ${A} link add eth0 type veth peer name eth0 netns ${B}
      ip -n ${A} link set eth0 up && ip -n ${B} link set eth0 up`);
  });
  afterAll(() => sh(`for n in ${A} ${B}; do ip netns del $n 2>/dev/null || true; done`));

  it('hands over every frame cut to the snaplen with its wire length, and counts them as the kernel did', async () => {
    const { frames, stats } = await capture(4096, async () => {
      inject(500);
      await settle(300);
    });
    expect(frames).toHaveLength(500);
    expect(new Set(frames.map((f) => f.data.length))).toEqual(new Set([built.CAPTURE_SNAPLEN]));
    expect(new Set(frames.map((f) => f.origLen))).toEqual(new Set([SIZE]));
    expect(frames.map((f) => Buffer.from(f.data).readUInt32BE(42))).toEqual([...Array(500).keys()]);
    expect(stats).toEqual({ received: 500, dropped: 0, ifDropped: 0, captured: 500, final: true, precision: 'nano' });
  });

  it('counts what a full ring lost, and stamps each frame when the kernel saw it, not when the helper read it', async () => {
    let resumedAt = 0;
    const { frames, stats } = await capture(64, async (helper) => {
      process.kill(helper.pid!, 'SIGSTOP');
      inject(3000);
      await settle(200);
      resumedAt = Date.now();
      process.kill(helper.pid!, 'SIGCONT');
      await settle(300);
    });
    expect(stats.final).toBe(true);
    expect(stats.received).toBe(3000);
    expect(stats.captured).toBe(frames.length);
    expect(stats.captured + stats.dropped).toBe(3000);
    // 64 slots (libpcap rounds up to whole pages of slots): most of the burst was lost in the kernel.
    expect(stats.dropped).toBeGreaterThan(2800);
    for (const f of frames) expect(f.tsSec * 1000 + f.tsNsec / 1e6).toBeLessThan(resumedAt - 150);
    // The ring keeps the burst's first packets: the ones after it filled are the lost ones.
    expect(frames.map((f) => Buffer.from(f.data).readUInt32BE(42))).toEqual([...Array(frames.length).keys()]);
  });

  it('gives whoever asks the live session each hop its kernel counters, lost packets included', async () => {
    const source = liveSession.liveSource({
      hops: [{ name: 'b eth0', role: 'uplink', iface: 'eth0', addrs: [] }],
      where: [{ label: B, path: `/var/run/netns/${B}` }],
      filters: ['udp port 9'],
      description: 'kernel counters through the live session',
      ringPackets: 64,
    });
    await source.start({ push: () => undefined, tick: () => undefined });
    const helper = helperPids();
    expect(helper).toHaveLength(1);
    process.kill(helper[0]!, 'SIGSTOP');
    inject(3000);
    process.kill(helper[0]!, 'SIGCONT');
    await settle(300);
    source.stop();
    await source.ended;
    const [status] = source.hopStatus();
    expect(status!.kernel!.received).toBe(3000);
    expect(status!.kernel!.dropped).toBeGreaterThan(2800);
    expect(status!.kernel!.dropped + status!.packets).toBe(3000);
    expect(status!.kernel!.ifDropped).toBe(0);
    // ... and the report warns of them (the live trace's warnings come from its source)
    expect(source.warnings()).toEqual([`b eth0: ${status!.kernel!.dropped} of 3000 packets dropped by the kernel before the capture read them`]);
  });
});

describe.skipIf(skip)(`a capture helper whose parent reads slowly${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(() => {
    buildCli();
    sh(`for n in ${A} ${B}; do ip netns del $n 2>/dev/null || true; ip netns add $n; ip -n $n link set lo up; done
      ip -n ${A} link add eth0 type veth peer name eth0 netns ${B}
      ip -n ${A} link set eth0 up && ip -n ${B} link set eth0 up`);
  });
  afterAll(() => sh(`for n in ${A} ${B}; do ip netns del $n 2>/dev/null || true; done`));

  it('stops reading the ring once its backlog is full, so the kernel counts the loss instead of the helper growing', async () => {
    const spec: CaptureSpec = { mode: 'capture', taps: [{ hop: 0, iface: 'eth0', filter: 'udp port 9' }], ringBytes: 1024 * 368, snaplen: 296, statsEveryMs: 60_000, backlogBytes: 64 * 1024 };
    const child = spawn('nsenter', [`--net=/var/run/netns/${B}`, process.execPath, join(ROOT, 'dist', 'capture', 'live', 'helper.js'), JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdout.pause();
    await settle(1500); // open; its ready record waits in the pipe
    // Bursts a 1024-slot ring holds: a helper that kept reading would lose none of them.
    for (let i = 0; i < 6; i++) {
      inject(500);
      await settle(50);
    }
    const reader = new WireReader();
    const records: WireRecord[] = [];
    child.stdout.on('data', (chunk: Buffer) => records.push(...reader.push(chunk)));
    child.stdout.resume();
    await settle(300);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.on('close', resolve));
    const packets = records.filter((r) => r.type === 'packet').length;
    const final = records.find((r): r is Extract<WireRecord, { type: 'stats' }> => r.type === 'stats' && r.counters.final)!.counters;
    expect(final.received).toBe(3000);
    expect(final.captured).toBe(packets);
    expect(final.captured + final.dropped).toBe(3000);
    // The pipe (64 KiB), the backlog (64 KiB, checked after each write of up to 256 KiB) and the
    // ring (1024 slots) held ~2000 of the 3000; a helper that kept reading loses none (checked).
    expect(final.dropped).toBeGreaterThan(500);
  });
});

/** This test process's capture helpers (setpriv and nsenter exec into node: one pid each). */
function helperPids(): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return ppid === process.pid && cmdline.includes('helper.js') ? [Number(pid)] : [];
      } catch {
        return [];
      }
    });
}
