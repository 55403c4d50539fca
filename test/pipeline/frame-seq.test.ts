// Exporters tie a journey's sightings back to frames: each sighting's frameSeq is the index of
// its frame in its hop's stream, counting the frames that did not decode, which are told too.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTrace } from '../../src/capture/trace.js';
import type { Frame, Sighting, TraceEvent } from '../../src/model.js';
import { replayReport } from '../../src/pipeline/replay.js';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures');

function framesPerHop(dir: string): Frame[][] {
  const trace = openTrace([dir]);
  const perHop: Frame[][] = trace.hops.map(() => []);
  for (const frame of trace.frames()) perHop[frame.hop]!.push({ ...frame, data: frame.data.slice() });
  trace.close();
  return perHop;
}

async function events(dir: string): Promise<TraceEvent[]> {
  const seen: TraceEvent[] = [];
  await replayReport(openTrace([dir]), { listeners: [(event) => seen.push(event)] });
  return seen;
}

/** Nanoseconds from b to a (seconds apart first: a double cannot hold nanoseconds since 1970). */
const since = (a: Frame, b: Frame) => (a.tsSec - b.tsSec) * 1e9 + (a.tsNsec - b.tsNsec);

describe("a sighting's frameSeq and the skipped frames", () => {
  it('dns-unreachable: every sighting names the frame it came from, and the frames that did not decode are told with theirs', async () => {
    const dir = path.join(FIXTURES, 'dns-unreachable');
    const frames = framesPerHop(dir);
    const seen = await events(dir);
    const sightings: Sighting[] = seen.flatMap((e) => (e.kind === 'journey' ? e.journey.sightings : []));
    const skipped = seen.flatMap((e) => (e.kind === 'skipped' ? [e] : []));
    expect(sightings.length).toBeGreaterThan(0);
    expect(skipped.length).toBeGreaterThan(0);
    // A sighting's t counts from the first frame played: its own frame's stamp less that one's.
    const first = openTrace([dir]).frames().next().value!;
    for (const s of sightings) expect(since(frames[s.hop]![s.frameSeq]!, first)).toBe(s.t);
    for (const k of skipped) expect(frames[k.hop]![k.frameSeq]).toBeDefined();
    // Each frame of a hop is either a sighting of the traced flow, another flow's packet, or skipped: never two of these.
    const keys = [...sightings.map((s) => `${s.hop}:${s.frameSeq}`), ...skipped.map((k) => `${k.hop}:${k.frameSeq}`)];
    expect(new Set(keys).size).toBe(keys.length);
    expect(skipped.map((k) => k.reason)).toEqual(skipped.map(() => expect.any(String)));
  });
});
