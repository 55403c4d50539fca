// Capture helpers started before the path is known (issue 13: the live capture running within
// a second): one per namespace, handed over to that namespace's capture, told its taps on stdin;
// a helper nobody took ends. Against a veth of namespaces of its own (no Docker). Needs root.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Frame } from '../../src/model.js';
import type { Netns } from '../../src/discover/netns.js';
import { buildCli, ROOT, skipReason } from './support.js';

const skip = skipReason(false);
const [A, B] = ['a', 'b'].map((s) => `ht-${process.env.HT_LAB_ID ?? 'x'}-eh${process.pid % 10000}-${s}`);
const nsA: Netns = { label: A!, path: `/var/run/netns/${A}` };
const nsB: Netns = { label: B!, path: `/var/run/netns/${B}` };
// The built modules: they start the helper that sits beside them in dist/.
let helpers: typeof import('../../src/capture/live/helper-process.js');
let capture: typeof import('../../src/capture/live/netns-capture.js');

function sh(script: string): void {
  execFileSync('sh', ['-ec', script], { stdio: ['ignore', 'ignore', 'pipe'] });
}

describe.skipIf(skip)(`capture helpers started before the path is known${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(async () => {
    buildCli();
    helpers = (await import(join(ROOT, 'dist', 'capture', 'live', 'helper-process.js'))) as typeof helpers;
    capture = (await import(join(ROOT, 'dist', 'capture', 'live', 'netns-capture.js'))) as typeof capture;
    sh(`for n in ${A} ${B}; do ip netns del $n 2>/dev/null || true; ip netns add $n; ip -n $n link set lo up; done
      ip -n ${A} link add eth0 type veth peer name eth0 netns ${B}
      ip -n ${A} link set eth0 up && ip -n ${B} link set eth0 up`);
  });
  afterAll(() => sh(`for n in ${A} ${B}; do ip netns del $n 2>/dev/null || true; done`));

  it('starts one helper per namespace, however often asked, and the capture there uses it', async () => {
    const events: string[] = [];
    const pool = new helpers.CaptureHelpers((e) => events.push(e));
    pool.startIn(nsB);
    pool.startIn({ label: 'same namespace, other name', path: `/var/run/netns/${B}` });
    expect(events).toEqual([`capture helper started in netns ${B}`]);
    const frames: Frame[] = [];
    const running = capture.startNetnsCapture(
      { netns: nsB, taps: [{ hop: 1, iface: 'eth0', filter: 'udp port 9' }], ringPackets: 256 },
      { opened: () => undefined, frame: (f) => frames.push(f), problem: (_hop, m) => expect.fail(m) },
      pool.take(nsB),
    );
    try {
      await running.ready;
      // Taken: asking again for that namespace starts nothing more.
      pool.startIn(nsB);
      expect(events).toEqual([`capture helper started in netns ${B}`, `netns ${B}: capturing on eth0`]);
      expect(pidsIn(B!)).toHaveLength(1);
      execFileSync('nsenter', [`--net=/var/run/netns/${A}`, process.execPath, join(ROOT, 'test', 'live', 'inject.mjs'), 'eth0', '5', '100'], { timeout: 30_000 });
      await settle(300);
    } finally {
      running.stop();
      await running.ended;
      pool.dispose();
    }
    // The five datagrams, on the tap the spec named (sent over stdin), in order.
    expect(frames.map((f) => [f.hop, Buffer.from(f.data).readUInt32BE(42)])).toEqual([0, 1, 2, 3, 4].map((i) => [1, i]));
  });

  it('ends a helper nobody took, and a namespace named after the end gets none', async () => {
    const pool = new helpers.CaptureHelpers();
    pool.startIn(nsB);
    await waitFor(() => pidsIn(B!).length === 1);
    pool.dispose();
    await waitFor(() => pidsIn(B!).length === 0);
    pool.startIn(nsB);
    await settle(300);
    expect(pidsIn(B!)).toEqual([]);
  });

  it('a helper whose stdin closes before it was told its taps exits 0, quietly', async () => {
    const early = helpers.startHelperProcess(nsA);
    early.child.stdin!.end();
    expect(await early.closed).toEqual({ code: 0, signal: null });
    expect(early.stderr()).toBe('');
  });
});

/** The processes in a namespace (ip netns pids). */
function pidsIn(ns: string): string[] {
  return execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls for at most 5 s; fails naming what never became true. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !condition(); i++) await settle(100);
  expect(condition()).toBe(true);
}
