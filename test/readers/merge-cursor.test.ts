// Replay pushes frames into the tracer straight from each file's recycled buffer
// (ReplayTrace.pushAll, capture/files/merge.ts) instead of building a Frame per record. It must
// hand over exactly the frames of frames() (the merge every other consumer uses): the same
// hops, times, bytes and order, and the same warnings, on every fixture and on files made to
// stress it (records out of time order, ties between hops, refills of the buffer in the
// middle of a record, a record longer than the buffer, a file cut inside a record, SLL2).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openTrace, type TraceOptions } from '../../src/capture/trace.js';
import { pcapFile, payload, scratchDir, traceDir, wobbly, type PcapRecordSpec } from './builders.js';

const dir = scratchDir();
afterAll(() => dir.remove());
const FIXTURES = new URL('../../fixtures/', import.meta.url).pathname;
// Worker threads run compiled JavaScript: the threaded reader is tested from the build (npm test builds first).
const BUILT = new URL('../../dist/capture/trace.js', import.meta.url).pathname;

type Seen = [number, number, number, number, number, string];

function viaFrames(inputs: string[], options: TraceOptions): { frames: Seen[]; warnings: unknown[] } {
  const trace = openTrace(inputs, options);
  const frames: Seen[] = [];
  for (const f of trace.frames()) frames.push([f.hop, f.linkType, f.tsSec, f.tsNsec, f.origLen, Buffer.from(f.data).toString('hex')]);
  return { frames, warnings: trace.warnings };
}

function viaCursor(inputs: string[], options: TraceOptions): { frames: Seen[]; warnings: unknown[] } {
  const trace = openTrace(inputs, options);
  const frames: Seen[] = [];
  trace.pushAll!({
    pushAt(hop, linkType, tsSec, tsNsec, buf, start, end, origLen) {
      frames.push([hop, linkType, tsSec, tsNsec, origLen, Buffer.from(buf.subarray(start, end)).toString('hex')]);
    },
  });
  return { frames, warnings: trace.warnings };
}

async function viaThreads(inputs: string[], options: TraceOptions, threads: number): Promise<{ frames: Seen[]; warnings: unknown[]; error?: string }> {
  const built = (await import(BUILT)) as typeof import('../../src/capture/trace.js');
  const trace = built.openTrace(inputs, { ...options, readThreads: threads });
  const frames: Seen[] = [];
  let error: string | undefined;
  try {
    trace.pushAll!({
      pushAt(hop, linkType, tsSec, tsNsec, buf, start, end, origLen) {
        frames.push([hop, linkType, tsSec, tsNsec, origLen, Buffer.from(buf.subarray(start, end)).toString('hex')]);
      },
    });
  } catch (err) {
    error = `${(err as Error).name}: ${(err as Error).message}`;
  }
  return { frames, warnings: trace.warnings, ...(error === undefined ? {} : { error }) };
}

function same(inputs: string[], options: TraceOptions = {}): number {
  const expected = viaFrames(inputs, options);
  const actual = viaCursor(inputs, options);
  expect(actual.frames.length).toBe(expected.frames.length);
  expect(actual.frames).toEqual(expected.frames);
  expect(actual.warnings).toEqual(expected.warnings);
  return actual.frames.length;
}

describe('frames pushed from the recycled buffer', () => {
  it('are the frames of frames() on every fixture trace, with either classic reader', () => {
    const traces = readdirSync(FIXTURES, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(FIXTURES, e.name));
    let frames = 0;
    for (const trace of traces.filter((t) => readdirSync(t).includes('path.json'))) {
      frames += same([trace], { classicReader: 'native' });
      frames += same([trace], { classicReader: 'pcap-parser' });
    }
    expect(frames).toBeGreaterThan(1000);
  });

  it('are the same across buffer refills, out-of-order records, ties, a record longer than the buffer and a cut file', () => {
    const a = wobbly(0, 4000, 1500);
    const b = wobbly(0, 4000, 1500); // the same times as a: every frame ties with one of a's
    const c = [...wobbly(7, 1500, 1500), { sec: 1_700_000_010, frac: 5, data: payload(1_200_000, 3) }, ...wobbly(11, 500, 900)];
    const cut = pcapFile({ snaplen: 2_000_000 }, wobbly(5, 2000, 1400));
    const trace = traceDir(dir, 'stress', {
      'a.pcap': pcapFile({}, a),
      'b.pcap': pcapFile({ nanosecond: true }, b.map((r) => ({ ...r, frac: r.frac * 1000 }))),
      'c.pcap': pcapFile({ snaplen: 2_000_000 }, c),
      'd.pcap': cut.subarray(0, cut.length - 100),
      'e.pcap': pcapFile({}, []),
    });
    expect(same([trace], { classicReader: 'native' })).toBeGreaterThan(11_000);
    expect(same([trace], { classicReader: 'pcap-parser' })).toBeGreaterThan(11_000);
    expect(viaCursor([trace], { classicReader: 'native' }).warnings).toHaveLength(1);
  });

  it.skipIf(!existsSync(BUILT))('are the same when worker threads read the files (--threads), with warnings and a read error at the same frame', async () => {
    const a = wobbly(0, 4000, 1500);
    const records = wobbly(3, 3000, 1400);
    let offset = 24;
    for (const r of records.slice(0, 2500)) offset += 16 + r.data.length;
    const bad = pcapFile({}, records);
    bad.writeUInt32LE(0xfffffff0, offset + 8); // record 2500 claims 4 GB
    const cut = pcapFile({ snaplen: 2_000_000 }, [...wobbly(5, 2000, 1400), { sec: 1_700_000_001, frac: 1, data: payload(1_500_000, 1) }]);
    const good = traceDir(dir, 'threads-good', { 'a.pcap': pcapFile({}, a), 'b.pcap': pcapFile({ nanosecond: true }, a), 'c.pcap': cut.subarray(0, cut.length - 100), 'd.pcap': pcapFile({}, []) });
    const expected = viaFrames([good], { classicReader: 'native' });
    for (const threads of [1, 2, 8]) {
      const got = await viaThreads([good], { classicReader: 'native' }, threads);
      expect(got.error).toBeUndefined();
      expect(got.frames).toEqual(expected.frames);
      expect(got.warnings).toEqual(expected.warnings);
    }
    const failing = traceDir(dir, 'threads-bad', { 'a.pcap': pcapFile({}, a), 'bad.pcap': bad });
    let seqError = '';
    const seqFrames: Seen[] = [];
    const trace = openTrace([failing], { classicReader: 'native' });
    try {
      trace.pushAll!({ pushAt: (hop, lt, s, ns, buf, start, end, ol) => void seqFrames.push([hop, lt, s, ns, ol, Buffer.from(buf.subarray(start, end)).toString('hex')]) });
    } catch (err) {
      seqError = `${(err as Error).name}: ${(err as Error).message}`;
    }
    expect(seqError).toMatch(/CaptureFileError: .*bad.pcap: offset \d+: record length 4294967280 exceeds/);
    const threaded = await viaThreads([failing], { classicReader: 'native' }, 2);
    expect(threaded.error).toBe(seqError);
    expect(threaded.frames).toEqual(seqFrames);
  });

  it('are the same for one file split into hops by SLL2 interface index', () => {
    const records: PcapRecordSpec[] = Array.from({ length: 3000 }, (_, i) => {
      const header = Buffer.alloc(20);
      header.writeUInt16BE(0x0800, 0);
      header.writeUInt32BE(1 + (i % 3), 4);
      return { sec: 1_700_000_000 + i, frac: 0, data: Buffer.concat([header, payload(40 + (i % 500), i)]) };
    });
    records.splice(10, 0, { sec: 1_700_000_000, frac: 1, data: payload(6, 1) }); // too short for the index
    const file = dir.write('any.pcap', pcapFile({ linkType: 276 }, records));
    expect(same([file], { classicReader: 'native' })).toBe(3000);
  });
});
