// A live-style source (frames pushed as they come, the clock ticking between them) fed many
// short flows over a long stretch of time: the trace holds only the recent flows, and the
// report printed as flows retire has every flow exactly once.
import { describe, expect, it } from 'vitest';
import type { FlowReport, Frame } from '../../src/model.js';
import { runTrace } from '../../src/pipeline/run-trace.js';
import { reportStream } from '../../src/render/report-stream.js';
import { endpointText } from '../../src/render/values.js';
import type { FrameSink, FrameSource } from '../../src/source.js';
import { bytes, icmpEcho } from '../decode/builders.js';
import { DOCKER_PATH, frameAt, ip4 } from '../correlate/path-builders.js';

/** One ping (request and reply across all four hops) from the container to `dst` at `ms`. */
function ping(dst: string, id: number, ms: number): Frame[] {
  const data = bytes(56, (i) => (i + id) & 0xff);
  const frames: Frame[] = [];
  for (let hop = 0; hop < 4; hop++) {
    const src = hop === 3 ? '203.0.113.1' : '198.18.0.2';
    frames.push(frameAt(hop, ms + hop * 0.01, ip4({ src, dst, ttl: hop === 3 ? 63 : 64, id, proto: 1 }, icmpEcho(8, id, 1, data))));
  }
  for (let hop = 3; hop >= 0; hop--) {
    const to = hop === 3 ? '203.0.113.1' : '198.18.0.2';
    frames.push(frameAt(hop, ms + 1 + (3 - hop) * 0.01, ip4({ src: dst, dst: to, ttl: hop === 3 ? 64 : 63, id: id + 1, proto: 1 }, icmpEcho(0, id, 1, data))));
  }
  return frames;
}

/** A source the test pushes frames into, as a live capture does; ended when the test says so. */
function liveStyleSource() {
  let sink!: FrameSink;
  let end!: () => void;
  const source: FrameSource = {
    hops: DOCKER_PATH,
    notes: [],
    timestamps: 'kernel timestamps of each hop\'s capture',
    start: async (into) => void (sink = into),
    ended: new Promise<void>((resolve) => (end = resolve)),
    stop: () => end(),
    hopStatus: () => [],
    warnings: () => [],
  };
  return { source, sink: () => sink, end: () => end() };
}

const FLOWS = 3000;
/** One new flow every second: 50 minutes of a watch. */
const EVERY_MS = 1000;

describe('a long live trace with retirement', () => {
  it('holds only the flows of the last idle period, and prints every flow once', async () => {
    const live = liveStyleSource();
    let printed = '';
    const stream = reportStream('jsonl', DOCKER_PATH, (t) => (printed += t), { color: false });
    const retired: FlowReport[] = [];
    const session = await runTrace(live.source, { onRetired: (f) => (retired.push(f), stream.flow(f)) });
    let mostHeld = 0;
    for (let n = 0; n < FLOWS; n++) {
      const ms = n * EVERY_MS;
      // A distinct destination and ICMP id per flow: no flow continues another.
      for (const frame of ping(`203.0.113.${10 + (n % 200)}`, 2 * n + 2, ms)) live.sink().push(frame);
      live.sink().tick(Math.floor((ms + 500) / 1000), ((ms + 500) % 1000) * 1e6);
      if (n % 100 === 99) mostHeld = Math.max(mostHeld, session.snapshot().flows.length);
    }
    live.end();
    const report = await session.report;
    const counts = stream.end(report);

    // Idle for 30 s means retired; a flow seen again after it was queued (its reply) goes back to
    // the queue's tail once, so up to two idle periods' worth (60 flows here) are held, never thousands.
    expect(mostHeld).toBeGreaterThan(30);
    expect(mostHeld).toBeLessThanOrEqual(62);
    expect(retired.length).toBeGreaterThanOrEqual(FLOWS - 62);
    expect(report.flows.length).toBe(FLOWS - retired.length);

    const lines = printed.trimEnd().split('\n').map((l) => JSON.parse(l));
    const flowLines = lines.slice(0, -1);
    expect(flowLines.map((l) => l.id)).toEqual(Array.from({ length: FLOWS }, (_, i) => i + 1));
    expect(flowLines.every((l) => l.verdict === 'ok')).toBe(true);
    expect(flowLines[FLOWS - 1].responder).toBe(endpointText(report.flows.at(-1)!.responder));
    expect(lines.at(-1)).toMatchObject({ flows: FLOWS, notOk: 0 });
    expect(counts).toEqual({ flows: FLOWS, notOk: 0 });
  });

  it('without retirement (the control) every flow stays held to the end', async () => {
    const live = liveStyleSource();
    const session = await runTrace(live.source);
    for (let n = 0; n < 200; n++) for (const frame of ping(`203.0.113.${10 + n}`, 2 * n + 2, n * EVERY_MS)) live.sink().push(frame);
    expect(session.snapshot().flows.length).toBe(200);
    live.end();
    expect((await session.report).flows.length).toBe(200);
  });
});
