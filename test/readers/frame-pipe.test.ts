// A big replay's reading on another thread (capture/files/frame-pipe.ts): that thread reads,
// merges and copies the frames into a ring in shared memory, with each frame's payload
// fingerprint; the replay worker takes them from there. It must hand over exactly the frames
// of frames() (hops, times, bytes, order), meet each warning and a read error at the same
// frame, fingerprint and key every frame's packet as the decoder and matcher would themselves,
// and stop when either side does.
// The two sides need two threads: the reading side runs in a worker from the build (npm test
// builds first), the worker's side here, on the test's thread, also from the build.
import { existsSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { openTrace, type TraceOptions } from '../../src/capture/trace.js';
import { decodePacketAt } from '../../src/decode/index.js';
import { knownHash, payloadHash } from '../../src/decode/bytes.js';
import { keyAhead, matchKey } from '../../src/correlate/keys.js';
import type { PipeRequest } from '../../src/capture/files/frame-pipe.js';
import { pcapFile, payload, scratchDir, traceDir, wobbly } from './builders.js';

const dir = scratchDir();
afterAll(() => dir.remove());
const FIXTURES = new URL('../../fixtures/', import.meta.url).pathname;
const DIST = new URL('../../dist/', import.meta.url).pathname;
const BUILT = join(DIST, 'capture/trace.js');

/** The benchmark's trace generator (it reads fixtures through the build, so it is loaded only where the build is). */
async function generateTrace(outDir: string, packetsPerHop: number) {
  const generator = await import('../../bench/generate.mjs');
  return generator.generateTrace(outDir, packetsPerHop);
}

type Built = {
  trace: typeof import('../../src/capture/trace.js');
  pipe: typeof import('../../src/capture/files/frame-pipe.js');
  bytes: typeof import('../../src/decode/bytes.js');
  decode: typeof import('../../src/decode/index.js');
  keys: typeof import('../../src/correlate/keys.js');
};
async function built(): Promise<Built> {
  return {
    trace: await import(BUILT),
    pipe: await import(join(DIST, 'capture/files/frame-pipe.js')),
    bytes: await import(join(DIST, 'decode/bytes.js')),
    decode: await import(join(DIST, 'decode/index.js')),
    keys: await import(join(DIST, 'correlate/keys.js')),
  };
}

/** A frame as seen: hop, link type, seconds, nanoseconds, original length, bytes, fingerprint, match key. */
type Seen = [number, number, number, number, number, string, number | null, number | null];

/** The fingerprint the decoder gives the frame (null: no packet), through `decode` and its own bytes module. */
function fingerprint(decode: Built['decode'], linkType: number, buf: Uint8Array, start: number, end: number, origLen: number): number | null {
  const ip = decode.decodePacketAt(linkType, buf, start, end, origLen, []);
  return typeof ip === 'string' ? null : ip.payloadHash;
}

/** The match key of the frame's packet (null: no packet), worked out here. */
function keyOf(linkType: number, buf: Uint8Array, start: number, end: number, origLen: number): number | null {
  const ip = decodePacketAt(linkType, buf, start, end, origLen, []);
  return typeof ip === 'string' ? null : matchKey(ip);
}

function viaFrames(inputs: string[], options: TraceOptions = {}): { frames: Seen[]; warnings: unknown[] } {
  const trace = openTrace(inputs, options);
  const frames: Seen[] = [];
  for (const f of trace.frames()) {
    const hash = fingerprint({ decodePacketAt } as Built['decode'], f.linkType, f.data, 0, f.data.length, f.origLen);
    frames.push([f.hop, f.linkType, f.tsSec, f.tsNsec, f.origLen, Buffer.from(f.data).toString('hex'), hash, keyOf(f.linkType, f.data, 0, f.data.length, f.origLen)]);
  }
  return { frames, warnings: trace.warnings };
}

/**
 * The reading side in a worker thread of its own, as the main thread is for a replay;
 * `breakIt` hands it a request whose file list is not a list (a fault of its own code).
 */
function readingThread(b: Built, breakIt = false): { start: (request: PipeRequest) => void; exited: () => Promise<number> } {
  let worker: Worker | undefined;
  const url = pathToFileURL(join(DIST, 'capture/files/frame-pipe.js')).href;
  return {
    start(request) {
      const given = breakIt ? '{ ...workerData, files: null }' : 'workerData';
      const code = `const { workerData } = require('node:worker_threads'); import(${JSON.stringify(url)}).then((m) => m.produceFrames(${given}));`;
      worker = new Worker(code, { eval: true, workerData: request });
    },
    exited: () => new Promise((resolve) => (worker ? worker.once('exit', resolve) : resolve(-1))),
  };
}

interface Piped {
  frames: Seen[];
  warnings: unknown[];
  error?: string;
  /** Frames whose fingerprint came from the reading side. */
  knownAhead: number;
  /** The trace's byte count (its progress line) at frame 40,000 and after the last frame. */
  progress: { midway?: { done: number; total: number }; end: { done: number; total: number } };
  exited: Promise<number>;
}

/** The frames as the replay worker takes them from the pipe; `stopAt`: the sink throws at that frame. */
async function viaPipe(inputs: string[], options: TraceOptions = {}, stopAt = -1, beforePush = () => {}, breakIt = false): Promise<Piped> {
  const b = await built();
  const reading = readingThread(b, breakIt);
  const trace = b.trace.openTrace(inputs, { ...options, readElsewhere: reading.start });
  beforePush();
  const frames: Seen[] = [];
  let knownAhead = 0;
  let midway: Piped['progress']['midway'];
  let error: string | undefined;
  try {
    trace.pushAll!({
      pushAt(hop, linkType, tsSec, tsNsec, buf, start, end, origLen) {
        if (frames.length === stopAt) throw new Error('the sink gave up');
        if (frames.length === 40_000) midway = trace.progress();
        if (b.bytes.knownHash.buf === buf && b.bytes.knownHash.start >= start) knownAhead++;
        const hash = fingerprint(b.decode, linkType, buf, start, end, origLen);
        // The key the reading side worked out, as armed for the tracer's next packet.
        const ahead = b.keys.keyAhead;
        const key = ahead.armed && ahead.ip === null ? ahead.value : null;
        frames.push([hop, linkType, tsSec, tsNsec, origLen, Buffer.from(buf.subarray(start, end)).toString('hex'), hash, key]);
      },
    });
  } catch (err) {
    error = `${(err as Error).name}: ${(err as Error).message}`;
  }
  const progress = { midway, end: trace.progress() };
  return { frames, warnings: trace.warnings, knownAhead, progress, exited: reading.exited(), ...(error === undefined ? {} : { error }) };
}

describe.skipIf(!existsSync(BUILT))('frames read on another thread and taken from the pipe', () => {
  it('are the frames of frames(), each with the fingerprint the decoder gives it, on every fixture trace', async () => {
    const traces = readdirSync(FIXTURES, { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(join(FIXTURES, e.name, 'path.json')))
      .map((e) => join(FIXTURES, e.name));
    let frames = 0;
    let ahead = 0;
    for (const trace of traces) {
      const expected = viaFrames([trace]);
      const got = await viaPipe([trace]);
      expect(got.error).toBeUndefined();
      expect(got.frames).toEqual(expected.frames);
      expect(got.warnings).toEqual(expected.warnings);
      frames += got.frames.length;
      ahead += got.knownAhead;
    }
    expect(frames).toBeGreaterThan(900);
    // Most fixture frames carry a payload: their fingerprint was worked out on the reading side.
    expect(ahead).toBeGreaterThan(frames / 2);
  });

  it('are the same through many turns of the ring (the benchmark trace\'s shape, 80,000 frames)', async () => {
    const trace = (await generateTrace(dir.path('bench-shape'), 20_000)).dir;
    const expected = viaFrames([trace]);
    const got = await viaPipe([trace]);
    expect(got.error).toBeUndefined();
    expect(got.frames.length).toBe(80_000);
    expect(got.frames).toEqual(expected.frames);
    expect(got.knownAhead).toBe(80_000);
    // The progress line counts the reading side's bytes: part of the files midway, all of them at the end.
    const bytes = readdirSync(trace).filter((f) => f.endsWith('.pcap')).reduce((n, f) => n + statSync(join(trace, f)).size, 0);
    expect(got.progress.end).toEqual({ done: bytes, total: bytes });
    expect(got.progress.midway!.total).toBe(bytes);
    expect(got.progress.midway!.done).toBeGreaterThan(0);
    expect(got.progress.midway!.done).toBeLessThan(bytes);
  });

  it('are the same across out-of-order records, ties, frames longer than a slot\'s soft limit and a cut file, with its warning at the same frame', async () => {
    const a = wobbly(0, 4000, 1500);
    const cut = pcapFile({ snaplen: 2_000_000 }, [...wobbly(5, 2000, 1400), { sec: 1_700_000_001, frac: 1, data: payload(1_500_000, 1) }]);
    const trace = traceDir(dir, 'stress', {
      'a.pcap': pcapFile({}, a),
      'b.pcap': pcapFile({ nanosecond: true }, a.map((r) => ({ ...r, frac: r.frac * 1000 }))),
      'c.pcap': pcapFile({ snaplen: 2_000_000 }, [...wobbly(7, 1500, 1500), { sec: 1_700_000_010, frac: 5, data: payload(1_200_000, 3) }]),
      'd.pcap': cut.subarray(0, cut.length - 100),
      'e.pcap': pcapFile({}, []),
    });
    for (const classicReader of ['native', 'pcap-parser'] as const) {
      const expected = viaFrames([trace], { classicReader });
      const got = await viaPipe([trace], { classicReader });
      expect(got.error).toBeUndefined();
      expect(got.frames.length).toBe(11_501);
      expect(got.frames).toEqual(expected.frames);
      expect(got.warnings).toEqual(expected.warnings);
      expect(got.warnings).toHaveLength(1);
    }
  });

  it('a read error: the frames before it, then the same error, and the reading thread ends', async () => {
    const records = wobbly(3, 3000, 1400);
    let offset = 24;
    for (const r of records.slice(0, 2500)) offset += 16 + r.data.length;
    const bad = pcapFile({}, records);
    bad.writeUInt32LE(0xfffffff0, offset + 8); // record 2500 claims 4 GB
    const failing = traceDir(dir, 'bad', { 'a.pcap': pcapFile({}, wobbly(0, 4000, 1500)), 'bad.pcap': bad });
    const sequential: Seen[] = [];
    let sequentialError = '';
    const trace = openTrace([failing]);
    try {
      trace.pushAll!({
        pushAt: (hop, lt, s, ns, buf, start, end, ol) =>
          void sequential.push([hop, lt, s, ns, ol, Buffer.from(buf.subarray(start, end)).toString('hex'), fingerprint({ decodePacketAt } as Built['decode'], lt, buf, start, end, ol), keyOf(lt, buf, start, end, ol)]),
      });
    } catch (err) {
      sequentialError = `${(err as Error).name}: ${(err as Error).message}`;
    }
    expect(sequentialError).toMatch(/^CaptureFileError: .*bad\.pcap: offset \d+: record length 4294967280 exceeds/);
    const piped = await viaPipe([failing]);
    expect(piped.error).toBe(sequentialError);
    expect(piped.frames).toEqual(sequential);
    expect(await piped.exited).toBe(0);
  });

  it('a file gone between opening the trace and reading it: the same one error, no frame', async () => {
    const make = (name: string) => traceDir(dir, name, { 'a.pcap': pcapFile({}, wobbly(0, 10, 200)), 'b.pcap': pcapFile({}, wobbly(1, 10, 200)) });
    const sequential = make('gone-sequential');
    const trace = openTrace([sequential]);
    unlinkSync(join(sequential, 'b.pcap'));
    expect(() => trace.pushAll!({ pushAt: () => {} })).toThrow(`${join(sequential, 'b.pcap')}: offset 0: cannot open: no such file`);
    const piped = make('gone-piped');
    const got = await viaPipe([piped], {}, -1, () => unlinkSync(join(piped, 'b.pcap')));
    expect(got.frames).toEqual([]);
    expect(got.error).toBe(`CaptureFileError: ${join(piped, 'b.pcap')}: offset 0: cannot open: no such file`);
    expect(await got.exited).toBe(0);
  });

  it('a fault of the reading side\'s own code: the worker says so, with its message, at once', async () => {
    const trace = traceDir(dir, 'fault', { 'a.pcap': pcapFile({}, wobbly(0, 10, 200)) });
    const piped = await viaPipe([trace], {}, -1, () => {}, true);
    expect(piped.frames).toEqual([]);
    expect(piped.error).toMatch(/^Error: reading the hop files failed on the thread that reads them: .*null/);
    expect(await piped.exited).toBe(0);
  });

  it('the worker giving up mid-way stops the reading thread', async () => {
    const trace = (await generateTrace(dir.path('give-up'), 20_000)).dir;
    const piped = await viaPipe([trace], {}, 1000);
    expect(piped.error).toBe('Error: the sink gave up');
    expect(piped.frames).toHaveLength(1000);
    expect(await piped.exited).toBe(0);
  });
});

describe.skipIf(!existsSync(BUILT))('the reading side alone', () => {
  it('stops waiting for a free slot once the worker is gone', async () => {
    const b = await built();
    const trace = (await generateTrace(dir.path('abandoned'), 20_000)).dir;
    const files = readdirSync(trace).filter((f) => f.endsWith('.pcap')).map((file, hop) => ({ file: join(trace, file), map: { kind: 'whole' as const, hop } }));
    let gone = false;
    // Nothing takes the slots: the ring fills, and the reading side waits until told the worker is gone.
    const done = b.pipe.produceFrames({ files, options: {}, buffer: new SharedArrayBuffer(b.pipe.pipeBytes()) }, () => gone);
    let finished = false;
    void done.then(() => (finished = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(finished).toBe(false);
    gone = true;
    await done;
    expect(finished).toBe(true);
  });
});

describe('a fingerprint known ahead (decode/bytes.ts knownHash)', () => {
  it('is taken for exactly its buffer and range, and computed for any other', () => {
    const bytes = Uint8Array.from(payload(200, 9));
    const other = Uint8Array.from(bytes);
    const truth = payloadHash(bytes, 20, 120);
    try {
      Object.assign(knownHash, { buf: bytes, start: 20, end: 120, value: 12345 });
      expect(payloadHash(bytes, 20, 120)).toBe(12345);
      expect(payloadHash(other, 20, 120)).toBe(truth);
      expect(payloadHash(bytes, 21, 120)).toBe(payloadHash(other, 21, 120));
      expect(payloadHash(bytes, 20, 119)).toBe(payloadHash(other, 20, 119));
    } finally {
      Object.assign(knownHash, { buf: null, start: -1, end: -1, value: 0 });
    }
    expect(payloadHash(bytes, 20, 120)).toBe(truth);
  });
});

describe('a match key known ahead (correlate/keys.ts keyAhead)', () => {
  const ip = () => {
    const decoded = decodePacketAt(1, PING, 0, PING.length, PING.length, []);
    if (typeof decoded === 'string') throw new Error(decoded);
    return decoded;
  };
  // An Ethernet frame with an IPv4 echo request and 8 bytes of data.
  const PING = Uint8Array.from(Buffer.from('0000000000010000000000020800450000240001000040017ad2c6120002cb00710208000000002a000161626364656667', 'hex'));

  it('is taken for the one packet claimed while it was armed, and computed for any other', () => {
    const a = ip();
    const b = ip();
    const truth = matchKey(a);
    expect(matchKey(b)).toBe(truth);
    try {
      Object.assign(keyAhead, { armed: true, value: 777, ip: null });
      keyAhead.claim(a);
      expect(keyAhead.armed).toBe(false);
      expect(matchKey(a)).toBe(777);
      expect(matchKey(b)).toBe(truth);
      keyAhead.claim(b); // not armed: a stays the one
      expect(matchKey(b)).toBe(truth);
      expect(matchKey(a)).toBe(777);
    } finally {
      Object.assign(keyAhead, { armed: false, value: 0, ip: null });
    }
    expect(matchKey(a)).toBe(truth);
  });
});
