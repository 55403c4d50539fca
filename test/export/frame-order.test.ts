// Frames leave the exporter in the order they came in, each once its journey has settled,
// and no sooner: the tracer's settledFrames() is the only licence to write.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTrace } from '../../src/capture/trace.js';
import { createTracer } from '../../src/correlate/tracer.js';
import { FrameAnnotator, type AnnotatedFrame } from '../../src/export/frame-order.js';
import { exportingTracer, type TraceExport } from '../../src/export/trace-export.js';
import type { Frame, Journey } from '../../src/model.js';
import { FIXTURES } from './support';

function recordingExport() {
  const written: AnnotatedFrame[] = [];
  const seen: Frame[] = [];
  const annotator = new FrameAnnotator((f) => written.push(f));
  const sink: TraceExport = {
    frame: (f) => {
      seen.push(f);
      annotator.frame(f);
    },
    journey: (j: Journey) => void annotator.journey(j),
    settled: (n) => annotator.settled(n),
    close: () => annotator.end(),
  };
  return { sink, written, seen, annotator };
}

function play(name: string, sink: TraceExport) {
  const trace = openTrace([path.join(FIXTURES, name)]);
  const tracer = exportingTracer(createTracer(trace.hops), [sink]);
  for (const frame of trace.frames()) tracer.push(frame);
  return tracer.finish();
}

describe('the exporter writes frames in the order they were captured, annotated once settled', () => {
  for (const name of ['ping-out', 'shared-bridge', 'udp-no-snat-busy', 'ip-forward-off']) {
    it(`${name}: every frame once, in arrival order, none written before its journey settled`, () => {
      const { sink, written, seen, annotator } = recordingExport();
      play(name, sink);
      expect(written.map((w) => w.frame)).toEqual(seen);
      expect(annotator.lateClaims).toBe(0);
      const notes = new Set(written.flatMap((w) => (w.note ? [w.note] : [])));
      // Each journey's note sits on exactly its own frames, at its own hops.
      for (const note of notes) {
        const mine = written.filter((w) => w.note === note);
        expect(mine.map((w) => w.frame.hop).sort()).toEqual(note.steps.map((s) => s.hop).sort());
      }
    });
  }

  it('holds a frame while its journey can still grow, and writes it with its note once the window has passed', () => {
    const { sink, written } = recordingExport();
    const trace = openTrace([path.join(FIXTURES, 'ping-out')]);
    const frames = [...trace.frames()].map((f) => ({ ...f, data: Uint8Array.from(f.data) }));
    const tracer = exportingTracer(createTracer(trace.hops, { windowMs: 500 }), [sink]);
    // The first echo request at c1 eth0, the veth and docker0: the uplink may still see it.
    for (const frame of frames.slice(0, 3)) tracer.push(frame);
    expect(frames.slice(0, 3).map((f) => f.hop)).toEqual([0, 1, 2]);
    expect(written).toHaveLength(0);
    tracer.tick(frames[2].tsSec, frames[2].tsNsec);
    expect(written).toHaveLength(0);
    tracer.push(frames[3]);
    // Seen at every hop: nothing more can happen to it, so it settles at once, and all four are written.
    expect(written.map((w) => [w.frame.hop, w.step, w.note?.steps.length])).toEqual([[0, 0, 4], [1, 1, 4], [2, 2, 4], [3, 3, 4]]);
    expect(new Set(written.map((w) => w.note)).size).toBe(1);
  });

  it('writes a packet that never reached the last hop once the window has passed, its last sighting saying where it vanished', () => {
    const { sink, written } = recordingExport();
    const trace = openTrace([path.join(FIXTURES, 'ip-forward-off')]);
    const frames = [...trace.frames()].map((f) => ({ ...f, data: Uint8Array.from(f.data) }));
    const tracer = exportingTracer(createTracer(trace.hops, { windowMs: 500 }), [sink]);
    for (const frame of frames.slice(0, 3)) tracer.push(frame);
    tracer.tick(frames[2].tsSec, frames[2].tsNsec + 1000);
    expect(written).toHaveLength(0);
    tracer.tick(frames[2].tsSec + 1, frames[2].tsNsec);
    expect(written.map((w) => w.frame.hop)).toEqual([0, 1, 2]);
    expect(written[2].note?.vanishedBetween).toEqual([2, 3]);
  });
});
