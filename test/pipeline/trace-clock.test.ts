// Records out of time order (a merged capture, clocks of two namespaces) must not make a flow
// start before the trace: times count from the earliest timestamp, not the first one pushed.
import { describe, expect, it } from 'vitest';
import { createTracer } from '../../src/pipeline/tracer.js';
import { DOCKER_PATH, pingFrames } from '../tui/frames.js';
import { endpointText } from '../../src/render/values.js';

describe('the trace clock', () => {
  it('counts from the earliest record even when a later one comes first', () => {
    const tracer = createTracer(DOCKER_PATH);
    for (const frame of pingFrames({ startUs: 5_000_000, dst: '203.0.113.9', seq: 2, ipId: 200 })) tracer.push(frame);
    for (const frame of pingFrames({ startUs: 1_000_000, dst: '203.0.113.8', seq: 1, ipId: 100 })) tracer.push(frame);
    const flows = tracer.finish().flows.map((f) => [endpointText(f.responder), f.firstSeen, f.lastSeen]);
    expect(flows).toEqual([
      ['203.0.113.9', 4, 4.00095],
      ['203.0.113.8', 0, 0.00095],
    ]);
  });

  it('in time order, the first record is the start', () => {
    const tracer = createTracer(DOCKER_PATH);
    for (const frame of pingFrames({ startUs: 1_000_000, dst: '203.0.113.8', seq: 1, ipId: 100 })) tracer.push(frame);
    expect(tracer.finish().flows.map((f) => [f.firstSeen, f.lastSeen])).toEqual([[0, 0.00095]]);
  });
});
