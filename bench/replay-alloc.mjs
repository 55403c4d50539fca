// Bytes allocated per packet by replay's core (reader, merge, decode, matching, flows), by
// allocation site: V8's sampling heap profiler with collected objects included, over a
// generated trace of the benchmark's shape. A machine-independent figure for the GC share of
// replay (a loaded machine makes times noisy; bytes allocated per packet are not).
//   node bench/replay-alloc.mjs [packets per hop, 250000] [dist directory, ../dist]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import { generateTrace } from './generate.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const perHop = Number(process.argv[2] ?? 250_000);
const dist = path.resolve(process.argv[3] ?? path.join(here, '..', 'dist'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-alloc-'));
try {
  const trace = generateTrace(path.join(work, 'trace'), perHop);
  const { openTrace } = await import(path.join(dist, 'capture', 'trace.js'));
  const { replayReport } = await import(path.join(dist, 'pipeline', 'replay.js'));
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true });
  const report = await replayReport(openTrace([trace.dir], { classicReader: 'native' }), { onRetired: () => {} });
  const { profile } = await session.post('HeapProfiler.stopSampling');
  const bySite = new Map();
  let total = 0;
  const walk = (node) => {
    const f = node.callFrame;
    const site = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    total += node.selfSize;
    bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  const packets = report.summary.packetsPerHop.reduce((a, b) => a + b, 0);
  console.log(`${dist}: ${packets} packets, ${(total / 1e6).toFixed(0)} MB allocated, ${(total / packets).toFixed(0)} bytes per packet`);
  for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
    console.log(`${(bytes / packets).toFixed(0).padStart(6)} B/packet  ${site}`);
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
