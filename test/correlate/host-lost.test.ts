// A hop whose capture ended early (its host lost: a partition, a helper killed, the API
// connection gone): packets that could reach it only after its end were not captured there,
// which is not a drop. The same frames without the end told are the NOT case: vanished.
import { describe, expect, it } from 'vitest';
import { createTracer } from '../../src/pipeline/tracer.js';
import { bytes, icmpEcho } from '../decode/builders.js';
import type { Frame } from '../../src/model.js';
import { flowJson } from '../../src/render/json.js';
import { C1, DOCKER_PATH, frameAt, HOST, ip4, OUT } from './path-builders.js';

const UPLINK = 3;

/** Echo `seq` at hop `hop` (SNATed to the host's address at the uplink), 10 us per hop. */
const request = (hop: number, seq: number) => ip4({ src: hop === UPLINK ? HOST : C1, dst: OUT, id: seq, proto: 1, ttl: 64 }, icmpEcho(8, 7, seq, bytes(56)));
const reply = (hop: number, seq: number) => ip4({ src: OUT, dst: hop === UPLINK ? HOST : C1, id: 900 + seq, proto: 1, ttl: 64 }, icmpEcho(0, 7, seq, bytes(56)));

/**
 * 10 pings 100 ms apart; the uplink's capture sees the first 5 (and their replies), then ends at
 * 450 ms. The last 5 get no reply (a partition), or (`answered`) replies seen from docker0 inward
 * (only the uplink's capture ended).
 */
function frames(answered = false): Frame[] {
  const out: Frame[] = [];
  for (let seq = 0; seq < 10; seq++) {
    const ms = seq * 100;
    const lastHop = seq < 5 ? UPLINK : UPLINK - 1;
    for (let hop = 0; hop <= lastHop; hop++) out.push(frameAt(hop, ms + hop * 0.01, request(hop, seq)));
    if (seq < 5 || answered) for (let hop = lastHop, i = 0; hop >= 0; hop--, i++) out.push(frameAt(hop, ms + 5 + i * 0.01, reply(hop, seq)));
  }
  return out;
}

/**
 * The frames traced, then the clock moved to 1.5 s (every journey settled: none in flight).
 * `ended`: the uplink's capture ended at `endMs`, told after frame `toldAfter`, or (`late`)
 * only after everything settled, as a lost host is noticed seconds late.
 */
function trace(ended?: { endMs: number; toldAfter: number | 'late' }, answered = false) {
  const tracer = createTracer(DOCKER_PATH);
  const end = ended && frameAt(UPLINK, ended.endMs, new Uint8Array());
  frames(answered).forEach((frame, i) => {
    tracer.push(frame);
    if (end && i === ended.toldAfter) tracer.hopEnded(UPLINK, end.tsSec, end.tsNsec);
  });
  const stop = frameAt(0, 1500, new Uint8Array());
  tracer.tick(stop.tsSec, stop.tsNsec);
  if (end && ended.toldAfter === 'late') tracer.hopEnded(UPLINK, end.tsSec, end.tsNsec);
  return tracer.finish().flows.map(flowJson);
}

const NOT_CAPTURED = {
  code: 'not-captured',
  direction: 'request',
  count: 5,
  at: 'eth0',
  unanswered: 5,
  message: '5 requests could reach eth0 only after its capture had ended (its host was lost): not captured there, so not known to be dropped; no answer came back for 5 of them',
};

describe('a hop whose capture ended early', () => {
  it('without hopEnded: the 5 requests after the uplink stopped are called vanished between docker0 and eth0 (partial)', () => {
    const [flow] = trace();
    expect(flow!.verdict).toBe('partial');
    expect(flow!.findings).toEqual([
      { code: 'partial-loss', direction: 'request', count: 5, of: 10, between: ['docker0', 'eth0'], message: '5 of 10 requests vanished between docker0 and eth0' },
    ]);
  });

  it('told late (after every journey had settled and its requests were placed as vanished, as a lost host is noticed seconds late): the same 5 are not captured, never vanished; no answer came for them, so partial, not ok, and nothing placed as dropped', () => {
    const [flow] = trace({ endMs: 450, toldAfter: 'late' });
    expect(flow!.findings).toEqual([NOT_CAPTURED]);
    expect(flow!.verdict).toBe('partial');
    expect(flow!.dropBetween).toBeNull();
    expect(flow!.packets).toEqual({ request: 10, reply: 5 });
  });

  it('the same end with every request answered (only the uplink\'s capture ended, the network did not): ok, not captured at eth0, no unanswered count', () => {
    const [flow] = trace({ endMs: 450, toldAfter: 'late' }, true);
    const { unanswered: _, ...answeredOnes } = NOT_CAPTURED;
    // The replies seen from docker0 inward crossed eth0 after its end: missing there, as capture loss.
    expect(flow!.findings).toEqual([
      { code: 'capture-gap', at: 'eth0', count: 5, message: '5 packets that crossed eth0 were missing there (seen farther along, or answered from eth0 or beyond): capture loss, not a network drop' },
      { ...answeredOnes, message: '5 requests could reach eth0 only after its capture had ended (its host was lost): not captured there, so not known to be dropped' },
    ]);
    expect(flow!.verdict).toBe('ok');
    expect(flow!.packets).toEqual({ request: 10, reply: 10 });
  });

  it('told as it happens (before the later frames): the same finding', () => {
    const toldAfter = frames().findIndex((f) => f.tsSec * 1e9 + f.tsNsec > frameAt(0, 450, new Uint8Array()).tsSec * 1e9 + 450e6);
    const [flow] = trace({ endMs: 450, toldAfter: toldAfter - 1 });
    expect(flow!.findings).toEqual([NOT_CAPTURED]);
  });

  it('packets that had time to reach the hop before its end are still vanished: an end at 650 ms takes back only the requests sent after it (700, 800, 900 ms)', () => {
    const [flow] = trace({ endMs: 650, toldAfter: 'late' });
    expect(flow!.verdict).toBe('partial');
    expect(flow!.findings).toEqual([
      { code: 'partial-loss', direction: 'request', count: 2, of: 10, between: ['docker0', 'eth0'], message: '2 of 10 requests vanished between docker0 and eth0' },
      { ...NOT_CAPTURED, count: 3, unanswered: 3, message: '3 requests could reach eth0 only after its capture had ended (its host was lost): not captured there, so not known to be dropped; no answer came back for 3 of them' },
    ]);
  });

  it('every request after the end and none before (the end told before the first frame): no request is dropped', () => {
    const tracer = createTracer(DOCKER_PATH);
    tracer.hopEnded(UPLINK, 1_700_000_000, 0);
    for (let seq = 0; seq < 3; seq++) for (let hop = 0; hop < UPLINK; hop++) tracer.push(frameAt(hop, seq * 100 + hop * 0.01, request(hop, seq)));
    const [flow] = tracer.finish().flows.map(flowJson);
    expect(flow!.verdict).not.toBe('dropped');
    expect(flow!.verdict).toBe('no-reply');
    expect(flow!.findings).toEqual([{ ...NOT_CAPTURED, count: 3, unanswered: 3, message: '3 requests could reach eth0 only after its capture had ended (its host was lost): not captured there, so not known to be dropped; no answer came back for 3 of them' }]);
  });
});
