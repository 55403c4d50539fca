import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTrace } from '../../src/capture/trace.js';
import { replayReport } from '../../src/pipeline/replay.js';
import type { TraceListener } from '../../src/session.js';
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
  const stop = streamFlowLines({ subscribe: (listener) => (listeners.push(listener), () => undefined) }, (line) => lines.push(line), false, {
    windowMs: 500,
    schedule: clock.schedule,
  });
  await replayReport(trace, { listeners });
  return { lines, stop };
}

describe('streamed flow lines for a live trace without the UI', () => {
  // The counts are those of the moment the verdict was reached (the stream hears of a flow when its verdict changes).
  it('prints a verdict only once it held for the window: never the no-reply that the ICMP error follows', async () => {
    const clock = manualClock();
    const { lines } = await streamOf('dns-unreachable', clock);
    // The first query settles before its ICMP error does (no-reply, then rejected, within the window).
    expect(lines).toEqual([]);
    clock.advance(499);
    expect(lines).toEqual([]);
    clock.advance(1);
    expect(lines).toEqual(['flow 1: udp 198.18.0.2:45101 -> 203.0.113.2:53: rejected (1 request, 1 reply)\n']);
  });

  it('prints what is still waiting when the trace stops: those verdicts are final', async () => {
    const clock = manualClock();
    const { lines, stop } = await streamOf('ping-out', clock);
    expect(lines).toEqual([]);
    stop();
    expect(lines).toEqual(['flow 1: icmp 198.18.0.2 -> 203.0.113.2: ok (1 request, 1 reply)\n']);
    clock.advance(1000);
    expect(lines).toHaveLength(1);
  });
});
