// Frames leave the exporter in the order they came in, each once its journey has settled,
// and no sooner: the pipeline's word on the oldest open journey (a FrameTap's settledBefore)
// is the only licence to write. Driven through runTrace as replay and live drive it.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTrace } from '../../src/capture/trace.js';
import { FrameAnnotator, type AnnotatedFrame } from '../../src/export/frame-order.js';
import type { Frame } from '../../src/model.js';
import { runTrace } from '../../src/pipeline/run-trace.js';
import type { FrameTap, TraceListener } from '../../src/session.js';
import type { FrameSink, FrameSource } from '../../src/source.js';
import { FIXTURES } from './support.js';

/** What was written, copied out of the annotator's reused cursor and arenas. */
interface Written {
  frame: { hop: number; linkType: number; tsSec: number; tsNsec: number; origLen: number; data: Buffer };
  frameSeq: number;
  note: AnnotatedFrame['note'];
  step: number;
}

const plain = (f: Frame): Written['frame'] => ({ hop: f.hop, linkType: f.linkType, tsSec: f.tsSec, tsNsec: f.tsNsec, origLen: f.origLen, data: Buffer.from(f.data) });

function recordingExport() {
  const written: Written[] = [];
  const seen: Frame[] = [];
  const annotator = new FrameAnnotator((f) =>
    written.push({
      frame: { hop: f.hop, linkType: f.linkType, tsSec: f.tsSec, tsNsec: f.tsNsec, origLen: f.origLen, data: Buffer.from(f.bytes.subarray(f.start, f.start + f.length)) },
      frameSeq: f.frameSeq,
      note: f.note,
      step: f.step,
    }),
  );
  const tap: FrameTap = {
    frame: (f) => {
      seen.push(f);
      annotator.frame(f);
    },
    settledBefore: (place) => annotator.settledBefore(place),
    tick: () => undefined,
    end: () => annotator.end(),
  };
  const listener: TraceListener = (event) => {
    if (event.kind === 'journey') annotator.journey(event.journey);
  };
  return { tap, listener, written, seen, annotator };
}

/** A source the test pushes frames into by hand; ended when the test says so. */
function handSource(name: string) {
  const trace = openTrace([path.join(FIXTURES, name)]);
  const frames = [...trace.frames()].map((f) => ({ ...f, data: Uint8Array.from(f.data) }));
  trace.close();
  let sink!: FrameSink;
  let end!: () => void;
  const source: FrameSource = {
    hops: trace.hops,
    notes: [],
    start: async (into) => void (sink = into),
    ended: new Promise<void>((resolve) => (end = resolve)),
    stop: () => end(),
    hopStatus: () => [],
    warnings: () => [],
  };
  return { source, frames, sink: () => sink, end: () => end() };
}

async function play(name: string, e: ReturnType<typeof recordingExport>) {
  const hand = handSource(name);
  const session = await runTrace(hand.source, { listeners: [e.listener], taps: [e.tap] });
  for (const frame of hand.frames) hand.sink().push(frame);
  hand.end();
  return session.report;
}

describe('the exporter writes frames in the order they were captured, annotated once settled', () => {
  for (const name of ['ping-out', 'shared-bridge', 'udp-no-snat-busy', 'ip-forward-off']) {
    it(`${name}: every frame once, in arrival order, none written before its journey settled`, async () => {
      const e = recordingExport();
      await play(name, e);
      expect(e.written.map((w) => w.frame)).toEqual(e.seen.map(plain));
      expect(e.annotator.lateClaims).toBe(0);
      const notes = new Set(e.written.flatMap((w) => (w.note ? [w.note] : [])));
      expect(notes.size).toBeGreaterThan(0);
      // Each journey's note sits on exactly its own frames, at its own hops.
      for (const note of notes) {
        const mine = e.written.filter((w) => w.note === note);
        expect(mine.map((w) => w.frame.hop).sort()).toEqual(note.steps.map((s) => s.hop).sort());
      }
    });
  }

  it('holds a frame while its journey can still grow, and writes it with its note once seen at every hop', async () => {
    const e = recordingExport();
    const hand = handSource('ping-out');
    await runTrace(hand.source, { windowMs: 500, listeners: [e.listener], taps: [e.tap] });
    const { frames } = hand;
    // The first echo request at c1 eth0, the veth and docker0: the uplink may still see it.
    for (const frame of frames.slice(0, 3)) hand.sink().push(frame);
    expect(frames.slice(0, 3).map((f) => f.hop)).toEqual([0, 1, 2]);
    expect(e.written).toHaveLength(0);
    hand.sink().tick(frames[2].tsSec, frames[2].tsNsec);
    expect(e.written).toHaveLength(0);
    hand.sink().push(frames[3]);
    // Seen at every hop: nothing more can happen to it, so it settles at once, and all four are written.
    expect(e.written.map((w) => [w.frame.hop, w.step, w.note?.steps.length])).toEqual([[0, 0, 4], [1, 1, 4], [2, 2, 4], [3, 3, 4]]);
    expect(new Set(e.written.map((w) => w.note)).size).toBe(1);
  });

  it('writes a packet that never reached the last hop once the window has passed, its last sighting saying where it vanished', async () => {
    const e = recordingExport();
    const hand = handSource('ip-forward-off');
    await runTrace(hand.source, { windowMs: 500, listeners: [e.listener], taps: [e.tap] });
    const { frames } = hand;
    for (const frame of frames.slice(0, 3)) hand.sink().push(frame);
    hand.sink().tick(frames[2].tsSec, frames[2].tsNsec + 1000);
    expect(e.written).toHaveLength(0);
    hand.sink().tick(frames[2].tsSec + 1, frames[2].tsNsec);
    expect(e.written.map((w) => w.frame.hop)).toEqual([0, 1, 2]);
    expect(e.written[2].note?.vanishedBetween).toEqual([2, 3]);
  });
});
