// An hour of `hoptrace watch` under constant new flows, simulated: a frame source yields the
// frames of fixtures/ping-out's first echo (as every hop saw it), one new flow every 1/RATE s of
// traffic time with its own echo id and far-end address, through runTrace with the live settings
// (flows retired once idle, the matching window, clock ticks every 100 ms) and the live command's
// retire path (evidence/live.ts: each retired flow waits for a reading of the host begun after it
// retired; conntrack sampled during the trace), printed as JSON Lines to a counter. The host is a
// stand-in: a reading takes READING_MS, conntrack holds the flows of the last 30 s. Traffic time
// runs SPEED times faster than the wall clock, and every wall-clock interval of the live code
// (reading gap, reading time, conntrack keep) is divided by SPEED, so the flows waiting for a
// reading are as many as in real time. Every DROP_EVERY-th flow is dropped before the uplink (its
// reply never comes), so it needs a cause. Memory is sampled every simulated minute.
//
//   node --expose-gc bench/watch-hour.mjs
//   BENCH_HOURS=1 BENCH_FLOWS_PER_S=50 BENCH_SPEED=30 BENCH_READING_MS=1000 BENCH_DROP_EVERY=10
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openTrace } from '../dist/capture/trace.js';
import { runTrace } from '../dist/pipeline/run-trace.js';
import { reportStream } from '../dist/render/report-stream.js';
import { watchHost } from '../dist/evidence/live.js';

const here = path.dirname(new URL(import.meta.url).pathname);
const env = (name, fallback) => Number(process.env[name] ?? fallback);
const HOURS = env('BENCH_HOURS', 1);
const RATE = env('BENCH_FLOWS_PER_S', 50);
const SPEED = env('BENCH_SPEED', 30);
const READING_MS = env('BENCH_READING_MS', 1000);
const DROP_EVERY = env('BENCH_DROP_EVERY', 10);
const ETH = 14;
const EPOCH = 1_700_000_000;

/** ping-out's first echo: per hop, its request and reply frames with their time from the first. */
function firstEcho() {
  const trace = openTrace([path.join(here, '..', 'fixtures', 'ping-out')]);
  const perHop = trace.hops.map(() => []);
  for (const f of trace.frames()) {
    if (f.data[ETH + 9] !== 1) continue;
    const seq = (f.data[ETH + 26] << 8) | f.data[ETH + 27];
    perHop[f.hop].push({ seq, t: f.tsSec * 1e9 + f.tsNsec, data: Uint8Array.from(f.data), linkType: f.linkType });
  }
  trace.close();
  const seq = Math.min(...perHop.flat().map((p) => p.seq));
  const packets = perHop.flatMap((ps, hop) => ps.filter((p) => p.seq === seq).map((p) => ({ ...p, hop })));
  const t0 = Math.min(...packets.map((p) => p.t));
  return { hops: trace.hops, packets: packets.map((p) => ({ ...p, t: p.t - t0 })).sort((a, b) => a.t - b.t) };
}

/** Flow `c`'s frames at traffic time `ns`: ping-out's echo with the echo id and far end set per flow. */
function flowFrames(echo, c, ns, dropped) {
  const last = echo.hops.length - 1;
  const frames = [];
  for (const p of echo.packets) {
    const request = p.data[ETH + 20] === 8;
    if (dropped && (!request || p.hop === last)) continue;
    const data = Buffer.from(p.data);
    data.writeUInt16BE(c & 0xffff, ETH + 4);
    data[ETH + (request ? 19 : 15)] = 2 + (Math.floor(c / 65536) % 250);
    data.writeUInt16BE(c & 0xffff, ETH + 24);
    const t = ns + p.t;
    frames.push({ hop: p.hop, linkType: p.linkType, tsSec: EPOCH + Math.floor(t / 1e9), tsNsec: t % 1e9, data, origLen: data.length });
  }
  return frames;
}

/** The conntrack entry the kernel would hold for flow `c` (the container's ping, SNATed to the uplink). */
function ctEntry(c) {
  const far = `203.0.113.${2 + (Math.floor(c / 65536) % 250)}`;
  const id = c & 0xffff;
  return {
    family: 4, proto: 1, unreplied: false, assured: false,
    original: { src: '198.18.0.2', dst: far, type: 8, code: 0, id },
    reply: { src: far, dst: '203.0.113.1', type: 0, code: 0, id },
    text: `ipv4 2 icmp 1 29 src=198.18.0.2 dst=${far} type=8 code=0 id=${id} src=${far} dst=203.0.113.1 type=0 code=0 id=${id} mark=0 use=1`,
  };
}

const EMPTY = { chains: [], rules: [], backends: [] };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes) => +(bytes / 2 ** 20).toFixed(1);

async function main() {
  const echo = firstEcho();
  const flows = Math.round(HOURS * 3600 * RATE);
  let made = 0;
  let simNs = 0;
  // The stand-in host: a reading takes READING_MS/SPEED; conntrack holds the last 30 s of flows.
  const reader = {
    snapshot: async () => {
      await sleep(READING_MS / SPEED);
      return { takenAt: Date.now(), netns: 'simulated', ruleset: EMPTY, conntrack: [], sysctls: {}, routes: [], neighbours: [], gaps: [] };
    },
    conntrack: async () => {
      const entries = [];
      for (let c = Math.max(0, made - 30 * RATE); c < made; c++) entries.push(ctEntry(c));
      return entries;
    },
  };
  const fakePath = { target: { hostNetns: { label: 'simulated', path: '/nonexistent' } }, hops: echo.hops, addrs: ['198.18.0.2/24'] };
  let bytes = 0;
  let printed = 0;
  const stream = reportStream('jsonl', echo.hops, (t) => (bytes += t.length), { color: false });
  const host = await watchHost(fakePath, {
    traceRules: false,
    onRetired: (f) => (printed++, stream.flow(f)),
    readingGapMs: 5000 / SPEED,
    conntrackKeepMs: 60_000 / SPEED,
    reader,
  });
  let retired = 0;
  let sink;
  let end;
  const source = {
    hops: echo.hops, notes: [], timestamps: 'simulated',
    start: async (s) => void (sink = s),
    ended: new Promise((r) => (end = r)),
    stop: () => end(),
    hopStatus: () => [],
    warnings: () => [],
  };
  const session = await runTrace(source, { onRetired: (f) => (retired++, host.retired(f)) });
  const samples = [];
  const started = Date.now();
  let lagMs = 0;
  const tick = 100e6;
  const sample = (minute) => {
    const m = process.memoryUsage();
    const row = { minute, wallS: +((Date.now() - started) / 1000).toFixed(1), flows: made, held: session.snapshot().flows.length, waiting: retired - printed, printed, rssMb: mb(m.rss), heapMb: mb(m.heapUsed) };
    if (minute % 5 === 0 && global.gc) {
      global.gc();
      row.heapAfterGcMb = mb(process.memoryUsage().heapUsed);
    }
    samples.push(row);
    console.log(`${String(minute).padStart(4)} min  ${String(made).padStart(7)} flows  held ${String(row.held).padStart(5)}  waiting ${String(row.waiting).padStart(5)}  rss ${String(row.rssMb).padStart(6)} MB  heap ${String(row.heapMb).padStart(6)} MB${row.heapAfterGcMb !== undefined ? `  (after GC ${row.heapAfterGcMb} MB)` : ''}  wall ${row.wallS} s`);
  };
  sample(0);
  const endNs = HOURS * 3600e9;
  let nextFlowNs = 0;
  let nextMinute = 60e9;
  for (simNs = 0; simNs <= endNs; simNs += tick) {
    while (nextFlowNs <= simNs && made < flows) {
      for (const frame of flowFrames(echo, made, nextFlowNs, DROP_EVERY > 0 && made % DROP_EVERY === DROP_EVERY - 1)) sink.push(frame);
      made++;
      nextFlowNs = Math.round((made * 1e9) / RATE);
    }
    sink.tick(EPOCH + Math.floor(simNs / 1e9), simNs % 1e9);
    if (simNs >= nextMinute) {
      sample(Math.round(nextMinute / 60e9));
      nextMinute += 60e9;
    }
    // Paced to SPEED times real time; the live code's timers (readings) run in the pauses.
    const ahead = started + simNs / 1e6 / SPEED - Date.now();
    if (ahead > 0) await sleep(ahead);
    else {
      lagMs = Math.max(lagMs, -ahead);
      await new Promise((r) => setImmediate(r));
    }
  }
  end();
  const report = await host.finish(await session.report);
  const counts = stream.end(report);
  const wallS = (Date.now() - started) / 1000;
  const late = samples.filter((s) => s.minute >= 10);
  const range = (key) => {
    const v = late.map((s) => s[key]).filter((x) => x !== undefined);
    return v.length ? [Math.min(...v), Math.max(...v)] : [];
  };
  const result = {
    hours: HOURS, flowsPerS: RATE, speed: SPEED, readingMs: READING_MS, dropEvery: DROP_EVERY, flows: made,
    printed: counts.flows, notOk: counts.notOk, outputMb: mb(bytes), wallS: +wallS.toFixed(1), maxLagMs: Math.round(lagMs),
    heldMax: Math.max(...samples.map((s) => s.held)), waitingMax: Math.max(...samples.map((s) => s.waiting)),
    rssMbFrom10Min: range('rssMb'), heapAfterGcMbFrom10Min: range('heapAfterGcMb'),
    cores: os.cpus().length, load: os.loadavg().map((l) => +l.toFixed(2)), node: process.version, samples,
  };
  console.log(`\n${made} flows in ${HOURS} h of traffic time (${RATE}/s, 1 in ${DROP_EVERY} dropped), ${wallS.toFixed(0)} s wall at ${SPEED}x (fell behind the pace by at most ${result.maxLagMs} ms): ` +
    `printed ${counts.flows} flows, ${counts.notOk} not ok, ${result.outputMb} MB of JSON Lines; held at most ${result.heldMax} flows, at most ${result.waitingMax} waiting for a reading; ` +
    `from minute 10 on: rss ${result.rssMbFrom10Min.join('-')} MB, heap after GC ${result.heapAfterGcMbFrom10Min.join('-')} MB; load ${result.load.join(' ')}`);
  fs.mkdirSync(path.join(here, 'out'), { recursive: true });
  fs.writeFileSync(path.join(here, 'out', 'watch-hour.json'), `${JSON.stringify(result, null, 2)}\n`);
  if (counts.flows !== made) {
    console.error(`watch-hour: ${made} flows were made but ${counts.flows} printed`);
    process.exitCode = 1;
  }
}

await main();
