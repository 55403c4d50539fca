// --filter judges flows as they change (a rewrite learnt late can make `host 203.0.113.1`
// match), so a flow may be kept only after its frames were written. Its frames get their
// comments all the same, added when the trace ends; a flow never kept gets none. Played with
// the real tracer on ping-out, its flow event held back until every frame was written.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openTrace } from '../../src/capture/trace.js';
import { PcapngExport } from '../../src/export/pcapng-export.js';
import type { Report, TraceEvent } from '../../src/model.js';
import { createTracer } from '../../src/pipeline/tracer.js';
import { FIXTURES, scratchDir, tshark, which } from './support.js';

vi.setConfig({ testTimeout: 60_000 });

const dir = scratchDir('late');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Exports ping-out with its flow events told only after the last frame was written; `kept` says whether they are told at all. */
function exportLate(file: string, kept: boolean): Report {
  const trace = openTrace([path.join(FIXTURES, 'ping-out')]);
  const tracer = createTracer(trace.hops);
  const out = new PcapngExport(file, trace.hops, { filtered: true });
  const flowEvents: TraceEvent[] = [];
  tracer.subscribe((event) => (event.kind === 'flow' ? flowEvents.push(event) : out.listener(event)));
  for (const frame of trace.frames()) {
    const copy = { ...frame, data: Uint8Array.from(frame.data) };
    out.frame(copy);
    tracer.push(copy);
    out.settledBefore(tracer.oldestOpen());
  }
  const report = tracer.finish();
  out.settledBefore(undefined);
  trace.close();
  expect(out.framesWritten).toBe(24);
  if (kept) for (const event of flowEvents) out.listener(event);
  const final = kept ? report : { ...report, flows: [] };
  expect(out.complete(final, undefined)).toBeUndefined();
  return final;
}

function comments(file: string): string[] {
  const out = tshark(['-r', file, '-T', 'fields', '-E', 'occurrence=f', '-e', 'frame.number', '-e', 'frame.comment']);
  expect(out.stderr).toBe('');
  return out.stdout.trimEnd().split('\n').map((line) => line.split('\t')[1] ?? '');
}

describe.skipIf(!which('tshark'))('a flow --filter keeps only after its frames were written', () => {
  it('gets its comments, as if it had been kept from its first frame', () => {
    const late = path.join(dir, 'late.pcapng');
    exportLate(late, true);
    const all = comments(late);
    expect(all).toHaveLength(24);
    for (const c of all) expect(c).toMatch(/^flow 1 journey \d+ (request|reply) · hop \d /);
    expect(all.filter((c) => c.endsWith('SNAT src 198.18.0.2 -> 203.0.113.1 since docker0'))).toHaveLength(3);
    // No spool or copy left beside the export.
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('late.pcapng'))).toEqual(['late.pcapng']);
  });

  it('a flow never kept: its frames stay uncommented (the control)', () => {
    const never = path.join(dir, 'never.pcapng');
    exportLate(never, false);
    expect(comments(never)).toEqual(Array.from({ length: 24 }, () => ''));
  });
});
