import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { createTracer } from '../../src/pipeline/tracer.js';
import type { FlowReport, Frame } from '../../src/model.js';
import { renderJson } from '../../src/render/json.js';
import { reportStream } from '../../src/render/report-stream.js';
import { renderText } from '../../src/render/text.js';
import { endpointText } from '../../src/render/values.js';
import { bytes, icmpEcho } from '../decode/builders.js';
import { DOCKER_PATH, frameAt, ip4 } from '../correlate/path-builders.js';

const SCHEMA = join(__dirname, '..', '..', 'schema');

// Flows whose packets stopped coming are written out and leave memory; what is printed is
// the same report as when every flow is kept to the end.

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

/** Ten pings to ten hosts, 2 s apart, then one more ping to the first host. */
const frames = [...Array.from({ length: 10 }, (_, i) => ping(`203.0.113.${10 + i}`, 100 + 2 * i, i * 2000)).flat(), ...ping('203.0.113.10', 500, 30_000)];

function run(retire?: { idleMs: number; maxFlows: number }) {
  const retired: FlowReport[] = [];
  const tracer = createTracer(DOCKER_PATH, { retire: retire && { ...retire, onRetired: (f) => retired.push(f) } });
  for (const f of frames) tracer.push(f);
  return { retired, report: tracer.finish() };
}

describe('flows written out once idle', () => {
  it('an idle flow leaves the tracer with its final report; a later packet of its conversation starts a new flow', () => {
    // Checked every 64 frames: at the 64th (flow 8's last, 14 s in) flows 1-5 were idle for more than 5 s.
    const { retired, report } = run({ idleMs: 5000, maxFlows: 1000 });
    expect(retired.map((f) => [f.id, endpointText(f.responder), f.verdict])).toEqual(Array.from({ length: 5 }, (_, i) => [i + 1, `203.0.113.${10 + i}`, 'ok']));
    expect(report.flows.map((f) => [f.id, endpointText(f.responder)])).toEqual([
      [6, '203.0.113.15'], [7, '203.0.113.16'], [8, '203.0.113.17'], [9, '203.0.113.18'], [10, '203.0.113.19'], [11, '203.0.113.10'],
    ]);
  });

  it('past maxFlows held, the least recently seen go first, whatever their age', () => {
    // At the 64th frame 8 flows are held: the 5 least recently seen go.
    const { retired, report } = run({ idleMs: 3_600_000, maxFlows: 3 });
    expect(retired.map((f) => f.id)).toEqual([1, 2, 3, 4, 5]);
    expect(report.flows.map((f) => f.id)).toEqual([6, 7, 8, 9, 10, 11]);
  });

  it('the JSON document and the text printed as flows retire are the one-piece report byte for byte (flows in retiring order)', () => {
    const whole = run().report;
    for (const format of ['json', 'text'] as const) {
      let printed = '';
      const stream = reportStream(format, DOCKER_PATH, (t) => (printed += t), { color: false });
      const { retired, report } = run({ idleMs: 3_600_000, maxFlows: 3 });
      retired.forEach((f) => stream.flow(f));
      const counts = stream.end(report);
      expect(counts).toEqual({ flows: 11, notOk: 0 });
      if (format === 'json') expect(printed).toBe(renderJson(whole));
      else {
        const text = renderText(whole, { color: false });
        // Streamed text puts the path first and the counts after the flows.
        const [path, perHop, timestamps] = text.split('\n');
        expect(printed.startsWith(`${path}\n\nflow 1: icmp 198.18.0.2 -> 203.0.113.10: ok`)).toBe(true);
        expect(printed.endsWith(`${perHop}\n${timestamps}\n11 flows, 0 not ok\n`)).toBe(true);
        expect(printed.split('\n').filter((l) => l.startsWith('flow ')).length).toBe(11);
      }
    }
  });

  it('JSON Lines: one flow per line as it retires, then the summary with the counts over every flow', () => {
    let printed = '';
    const stream = reportStream('jsonl', DOCKER_PATH, (t) => (printed += t), { color: false });
    const { retired, report } = run({ idleMs: 5000, maxFlows: 1000 });
    retired.forEach((f) => stream.flow(f));
    stream.end(report);
    const lines = printed.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.slice(0, -1).map((l) => [l.id, l.responder])).toEqual([...Array.from({ length: 10 }, (_, i) => [i + 1, `203.0.113.${10 + i}`]), [11, '203.0.113.10']]);
    expect(lines.at(-1)).toEqual({ summary: report.summary, flows: 11, notOk: 0 });
    // Every line is valid against schema/report-lines.schema.json.
    const ajv = new Ajv2020({ strict: false });
    ajv.addSchema(JSON.parse(readFileSync(join(SCHEMA, 'report.schema.json'), 'utf8')));
    const valid = ajv.compile(JSON.parse(readFileSync(join(SCHEMA, 'report-lines.schema.json'), 'utf8')));
    for (const line of lines) expect(valid(line), JSON.stringify(valid.errors)).toBe(true);
    expect(valid({ summary: report.summary, flows: 1 })).toBe(false);
  });
});

describe('a flow retired before the end is concluded as at the end', () => {
  /** Echo requests to `dst` that reach docker0 (hop 2) and never the uplink, 200 ms apart. */
  function dropped(dst: string, id: number, count: number): Frame[] {
    const data = bytes(56, (i) => (i + id) & 0xff);
    return Array.from({ length: count }, (_, seq) =>
      [0, 1, 2].map((hop) => frameAt(hop, seq * 200 + hop * 0.01, ip4({ src: '198.18.0.2', dst, ttl: 64, id: id + seq, proto: 1 }, icmpEcho(8, id, seq + 1, data)))),
    ).flat(2);
  }
  /** Echo requests to `dst` across the four hops, 200 ms apart; only the first is answered. */
  function halfAnswered(dst: string, id: number, count: number): Frame[] {
    const data = bytes(56, (i) => (i + id) & 0xff);
    const frames: Frame[] = [];
    for (let seq = 0; seq < count; seq++) {
      for (let hop = 0; hop < 4; hop++) {
        const src = hop === 3 ? '203.0.113.1' : '198.18.0.2';
        frames.push(frameAt(hop, 100 + seq * 200 + hop * 0.01, ip4({ src, dst, ttl: hop === 3 ? 63 : 64, id: id + seq, proto: 1 }, icmpEcho(8, id, seq + 1, data))));
      }
      if (seq > 0) continue;
      for (let hop = 3; hop >= 0; hop--) {
        const to = hop === 3 ? '203.0.113.1' : '198.18.0.2';
        frames.push(frameAt(hop, 101 + (3 - hop) * 0.01, ip4({ src: dst, dst: to, ttl: hop === 3 ? 64 : 63, id: id + 50, proto: 1 }, icmpEcho(0, id, 1, data))));
      }
    }
    return frames.sort((a, b) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec);
  }
  // The drop and the half-answered pings first, then ten answered pings 2 s apart: the first
  // two flows are idle long before the end.
  const trace = [...dropped('203.0.113.50', 40, 3), ...halfAnswered('203.0.113.60', 60, 3), ...Array.from({ length: 10 }, (_, i) => ping(`203.0.113.${10 + i}`, 100 + 2 * i, 1000 + i * 2000)).flat()];

  function runTrace(retire?: { idleMs: number; maxFlows: number }) {
    const retired: FlowReport[] = [];
    const tracer = createTracer(DOCKER_PATH, { retire: retire && { ...retire, onRetired: (f) => retired.push(f) } });
    for (const f of trace) tracer.push(f);
    return { retired, report: tracer.finish() };
  }

  it('its vanished requests are counted and placed, its verdict and findings are those of the whole report', () => {
    const isDrop = (f: FlowReport) => endpointText(f.responder) === '203.0.113.50';
    const whole = runTrace().report.flows.find(isDrop)!;
    const { retired, report } = runTrace({ idleMs: 5000, maxFlows: 1000 });
    expect(report.flows.some(isDrop)).toBe(false);
    expect(whole.verdict).toBe('dropped');
    expect(retired.find(isDrop)).toEqual(whole);
  });

  it('its unanswered echo requests are counted: partly answered, as in the whole report', () => {
    const isHalf = (f: FlowReport) => endpointText(f.responder) === '203.0.113.60';
    const whole = runTrace().report.flows.find(isHalf)!;
    const { retired, report } = runTrace({ idleMs: 5000, maxFlows: 1000 });
    expect(report.flows.some(isHalf)).toBe(false);
    expect(whole.verdict).toBe('partial');
    expect(retired.find(isHalf)).toEqual(whole);
  });
});
