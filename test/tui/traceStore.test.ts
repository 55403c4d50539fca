import { afterEach, describe, expect, test } from 'vitest';
import { createTraceStore, type TraceStore } from '../../src/render/tui/trace-store.js';
import { pingFrames } from './frames.js';
import { playManyPings, twoPings } from './scenario.js';
import { endpointText } from '../../src/render/values.js';


let store: TraceStore | undefined;
afterEach(() => store?.stop());

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the trace store', () => {
  test('keeps at most maxFlows flows, newest first, and counts the rest', () => {
    const session = twoPings();
    store = createTraceStore(session, { maxFlows: 50 });
    store.start();
    playManyPings(session, 300);
    store.flush();
    const view = store.getSnapshot();
    expect(view.totalFlows).toBe(150);
    expect(view.flows).toHaveLength(50);
    expect(view.flows.map((row) => endpointText(row.flow.responder)).slice(0, 3)).toEqual(['203.0.113.249', '203.0.113.248', '203.0.113.247']);
    expect(view.journeys.size).toBeLessThanOrEqual(50);
  });

  test('keeps the last maxJourneysPerFlow packets of a flow for its timeline', () => {
    const session = twoPings();
    store = createTraceStore(session, { maxJourneysPerFlow: 20 });
    store.start();
    for (let seq = 1; seq <= 100; seq++) session.feed(pingFrames({ startUs: seq * 2000, dst: '203.0.113.9', seq, ipId: seq }));
    session.settle();
    store.flush();
    const journeys = store.getSnapshot().journeys.get(1) ?? [];
    expect(journeys).toHaveLength(20);
    // The newest kept: the last ten pings, request and reply each.
    expect(journeys.map((j) => (j.sightings[0]!.ip.l4 as { seq: number }).seq)).toEqual(
      [91, 91, 92, 92, 93, 93, 94, 94, 95, 95, 96, 96, 97, 97, 98, 98, 99, 99, 100, 100],
    );
  });

  test('keeps timelines only for the most recently active flows', () => {
    const session = twoPings();
    store = createTraceStore(session, { timelineFlows: 10 });
    store.start();
    playManyPings(session, 300);
    store.flush();
    const view = store.getSnapshot();
    expect(view.flows).toHaveLength(150);
    const kept = [...view.journeys.keys()].map((id) => view.flows.find((row) => row.flow.id === id)!.flow.responder).map(endpointText).sort();
    // The last ten pings went to .240 ... .249.
    expect(kept).toEqual(Array.from({ length: 10 }, (_, i) => `203.0.113.${240 + i}`));
  });

  test('publishes at its own pace, not once per packet, however many arrive', async () => {
    const session = twoPings();
    store = createTraceStore(session, { flushMs: 50 });
    let published = 0;
    store.subscribe(() => (published += 1));
    store.start();
    playManyPings(session, 2000);
    await wait(180);
    expect(store.getSnapshot().totalFlows).toBe(150);
    expect(published).toBeGreaterThanOrEqual(1);
    expect(published).toBeLessThanOrEqual(4);
  });

  test('hands out the same row object for a flow that did not change, so its row is not redrawn', () => {
    const session = twoPings();
    store = createTraceStore(session);
    store.start();
    playManyPings(session, 3);
    store.flush();
    const before = store.getSnapshot().flows;
    session.feed(pingFrames({ startUs: 100_000, dst: '203.0.113.101', seq: 2, ipId: 9000 }));
    session.settle();
    store.flush();
    const after = store.getSnapshot().flows;
    const byResponder = (rows: typeof before, responder: string) => rows.find((row) => endpointText(row.flow.responder) === responder);
    expect(byResponder(after, '203.0.113.100')).toBe(byResponder(before, '203.0.113.100'));
    expect(byResponder(after, '203.0.113.102')).toBe(byResponder(before, '203.0.113.102'));
    expect(byResponder(after, '203.0.113.101')).not.toBe(byResponder(before, '203.0.113.101'));
    expect(byResponder(after, '203.0.113.101')!.flow.packets).toEqual({ request: 2, reply: 2 });
  });

  test('shows the final report when the trace ends: verdicts final, state ended', async () => {
    const session = twoPings();
    store = createTraceStore(session);
    store.start();
    session.feed(pingFrames({ startUs: 0, dst: '203.0.113.60', seq: 1, ipId: 300 }).slice(0, 4));
    session.end();
    store.finalize(await session.report);
    const view = store.getSnapshot();
    expect(view.state).toBe('ended');
    expect(view.flows.map((row) => [row.flow.verdict, row.final, row.active])).toEqual([['no-reply', true, false]]);
  });
});
