import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTrace } from '../../src/capture/trace.js';
import { replayReport } from '../../src/pipeline/replay.js';
import type { TraceListener } from '../../src/session.js';
import type { Report } from '../../src/model.js';
import { streamFlowLines } from '../../src/render/stream.js';

/** A clock the test moves by hand. */
function manualClock() {
  const timers: { at: number; fn: () => void; live: boolean }[] = [];
  let now = 0;
  return {
    schedule: (fn: () => void, ms: number) => {
      const timer = { at: now + ms, fn, live: true };
      timers.push(timer);
      return () => void (timer.live = false);
    },
    advance(ms: number) {
      now += ms;
      for (const t of timers) if (t.live && t.at <= now) (t.live = false), t.fn();
    },
  };
}

async function streamOf(fixture: string, clock: ReturnType<typeof manualClock>, stopAfterMs?: number) {
  const trace = openTrace([path.join(__dirname, '..', '..', 'fixtures', fixture)]);
  const lines: string[] = [];
  const listeners: TraceListener[] = [];
  // The replay runs to its end before the clock moves: the session's snapshot is then its report.
  let report: Report | undefined;
  const session = { subscribe: (listener: TraceListener) => (listeners.push(listener), () => undefined), snapshot: () => report! };
  const stop = streamFlowLines(session, (line) => lines.push(line), false, { windowMs: 500, schedule: clock.schedule });
  report = await replayReport(trace, { listeners });
  return { lines, stop };
}

describe('streamed flow lines for a live trace without the UI', () => {
  // The counts are those of the flow when its line is printed, not of the moment its verdict was reached.
  it('prints a verdict only once it held for the window: never the no-reply that the ICMP error follows', async () => {
    const clock = manualClock();
    const { lines } = await streamOf('dns-unreachable', clock);
    // The first query settles before its ICMP error does (no-reply, then rejected, within the window).
    expect(lines).toEqual([]);
    clock.advance(499);
    expect(lines).toEqual([]);
    clock.advance(1);
    // Printed as the flow stands then: here the whole replay has run, both queries and both errors.
    expect(lines).toEqual(['flow 1: udp 198.18.0.2:45101 -> 203.0.113.2:53: rejected (2 requests, 2 replies)\n']);
  });

  it('prints what is still waiting when the trace stops, with the counts it ended with (the verdict ok came at the first reply, 1 request, 1 reply)', async () => {
    const clock = manualClock();
    const { lines, stop } = await streamOf('ping-out', clock);
    expect(lines).toEqual([]);
    stop();
    expect(lines).toEqual(['flow 1: icmp 198.18.0.2 -> 203.0.113.2: ok (3 requests, 3 replies)\n']);
    clock.advance(1000);
    expect(lines).toHaveLength(1);
  });
});
