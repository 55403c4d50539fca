// A seeded fuzz of the whole replay input side: a few thousand mutants of the fixtures'
// captures, each through both classic readers, openTrace on the file alone, openTrace on a
// trace directory where it replaces one hop, and the tracer; and mutants of the fixtures'
// path.json (hostile field values, fields deleted, too many hops, damaged text). Each must end with a report or
// with one FatalError line of exit code 2, never another throw, never a hang (a watchdog
// interrupts a mutant after 5 s). The seed is fixed so CI is repeatable; on failure the
// message gives the seed, the mutant and what was done, and the mutant is kept on disk.
//
//   HOPTRACE_FUZZ_SEED=123 HOPTRACE_FUZZ_COUNT=20000 npx vitest run test/fuzz
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import vm from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { openCaptureFile } from '../../src/capture/files/open.js';
import { openTrace } from '../../src/capture/trace.js';
import { createTracer } from '../../src/pipeline/tracer.js';
import { CaptureFileError, FatalError } from '../../src/errors.js';
import { type Layout, layoutOf, mutate, mutatePathJson, random } from './mutants.js';

const SEED = Number(process.env.HOPTRACE_FUZZ_SEED ?? 20261130);
const COUNT = Number(process.env.HOPTRACE_FUZZ_COUNT ?? 3000);
const WATCHDOG_MS = 5000;

const repo = new URL('../../', import.meta.url).pathname;
// Thousands of small writes: in memory (tmpfs) where there is one.
const work = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'hoptrace-fuzz-'));
let keep = false;
afterAll(() => {
  if (!keep) rmSync(work, { recursive: true, force: true });
});

interface Seed {
  file: string;
  bytes: Buffer;
  layout: Layout;
  /** A copy of the file's trace directory, whose hop `hopFile` the mutant replaces. */
  traceDir?: string;
  hopFile?: string;
  /** The seed is the trace directory's path.json, mutated as JSON. */
  pathJson?: boolean;
}

/** Every capture of the recorded traces, and the pinned corpus captures. */
function seeds(): Seed[] {
  const out: Seed[] = [];
  const fixtures = join(repo, 'fixtures');
  for (const name of readdirSync(fixtures).sort()) {
    const dir = join(fixtures, name);
    if (!existsSync(join(dir, 'path.json'))) continue;
    const files = readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).sort();
    if (!files.length) continue;
    const traceDir = join(work, 'traces', name);
    mkdirSync(traceDir, { recursive: true });
    for (const f of readdirSync(dir)) if (f === 'path.json' || files.includes(f)) copyFileSync(join(dir, f), join(traceDir, f));
    for (const f of files) out.push(seed(join(dir, f), traceDir, f));
    out.push({ ...seed(join(dir, 'path.json'), traceDir, 'path.json'), pathJson: true });
  }
  for (const sub of ['libpcap', 'pcapng', 'tcpdump', 'zeek/Traces']) {
    const dir = join(fixtures, 'corpus', sub);
    for (const f of readdirSync(dir).filter((n) => /\.pcap(ng)?$/.test(n)).sort()) out.push(seed(join(dir, f)));
  }
  return out;
}

function seed(file: string, traceDir?: string, hopFile?: string): Seed {
  const bytes = readFileSync(file);
  const s: Seed = { file, bytes, layout: layoutOf(bytes) };
  if (traceDir && hopFile) Object.assign(s, { traceDir, hopFile });
  return s;
}

/** Accepts a FatalError of exit code 2 on one line; rethrows anything else. */
function endsCleanly(run: () => void): string {
  try {
    run();
    return 'ok';
  } catch (err) {
    if (!(err instanceof FatalError)) throw err;
    if (err.exitCode !== 2) throw new Error(`exit code ${err.exitCode}: ${err.message}`);
    if (/[\n\r]/.test(err.message)) throw new Error(`error of several lines: ${JSON.stringify(err.message)}`);
    if (err instanceof CaptureFileError && !/^.+: offset \d+: /.test(err.message)) throw new Error(`capture error without offset: ${err.message}`);
    return err.constructor.name;
  }
}

function readerOutcome(file: string, classicReader: 'pcap-parser' | 'native'): string {
  let summary = '';
  const end = endsCleanly(() => {
    const reader = openCaptureFile(file, { classicReader });
    let n = 0;
    try {
      for (let rec = reader.next(); rec !== null; rec = reader.next()) n++;
    } finally {
      reader.close();
    }
    summary = `${n} records, ${reader.warnings.map((w) => `${w.offset} ${w.message}`).join('; ')}`;
  });
  return end === 'ok' ? summary : end;
}

/** openTrace and the tracer, as replay assembles them, to the final report. */
function replay(inputs: string[]): void {
  const trace = openTrace(inputs);
  const tracer = createTracer(trace.hops);
  try {
    for (const frame of trace.frames()) tracer.push(frame);
  } finally {
    trace.close();
  }
  if (trace.stoppedAt) tracer.tick(trace.stoppedAt.sec, trace.stoppedAt.nsec);
  const report = tracer.finish();
  if (!Array.isArray(report.flows)) throw new Error('the report has no flows');
}

/** The whole input side on one mutant; throws on anything but a clean end. */
function exercise(s: Seed, file: string, bytes: Buffer): void {
  if (s.pathJson) return replaceAndReplay(s, bytes);
  writeFileSync(file, bytes);
  const parser = readerOutcome(file, 'pcap-parser');
  const native = readerOutcome(file, 'native');
  // Both readers take classic microsecond pcap; they must agree on it, records and end.
  const magic = bytes.length >= 4 ? bytes.readUInt32LE(0) : 0;
  if ((magic === 0xa1b2c3d4 || magic === 0xd4c3b2a1) && parser !== native) {
    throw new Error(`readers disagree: pcap-parser ${parser} / native ${native}`);
  }
  endsCleanly(() => replay([file]));
  replaceAndReplay(s, bytes);
}

/** Replays the seed's trace directory with the mutant in place of the seed's file. */
function replaceAndReplay(s: Seed, bytes: Buffer): void {
  if (!s.traceDir || !s.hopFile) return;
  const replaced = join(s.traceDir, s.hopFile);
  writeFileSync(replaced, bytes);
  try {
    endsCleanly(() => replay([s.traceDir as string]));
  } finally {
    writeFileSync(replaced, s.bytes);
  }
}

describe('replay fuzz', () => {
  it(`${COUNT} mutants of the fixtures (seed ${SEED}) each end with a report or one error line`, async () => {
    const all = seeds();
    expect(all.length).toBeGreaterThan(50);
    const next = random(SEED);
    const file = join(work, 'mutant.cap');
    const watchdog = vm.createContext({ run: (): void => undefined });
    const script = new vm.Script('run()');
    for (let i = 0; i < COUNT; i++) {
      // Let the test worker answer vitest's RPC now and then: on a loaded machine the whole loop
      // takes a minute, and a worker silent that long fails the run.
      if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
      const s = all[Math.floor(next() * all.length)];
      const other = all[Math.floor(next() * all.length)].bytes;
      const own = random(Math.floor(next() * 2 ** 32));
      const m = s.pathJson ? mutatePathJson(s.bytes, own, other) : mutate(s.bytes, s.layout, own, other);
      watchdog.run = () => exercise(s, file, m.bytes);
      try {
        script.runInContext(watchdog, { timeout: WATCHDOG_MS });
      } catch (err) {
        keep = true;
        const saved = join(work, `failing-${i}-${basename(s.file)}`);
        writeFileSync(saved, m.bytes);
        const why = (err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT' ? `hung for more than ${WATCHDOG_MS} ms` : String((err as Error).stack ?? err);
        throw new Error(`fuzz seed ${SEED}, mutant ${i} of ${s.file} (${m.how}): ${why}\nmutant kept at ${saved}; rerun with HOPTRACE_FUZZ_SEED=${SEED}`);
      }
    }
  }, 120_000);
});
