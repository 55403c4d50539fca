// Keeps replay's reports byte-identical through performance work: `save DIR` writes the
// text and --json output (and exit code, stderr) of `hoptrace replay` for every fixture
// trace, every overlay capture, a fixed sample of the shared corpus and a few generated
// traces (the benchmark's shape, an identical-packet flood, many flows); `check DIR` runs
// the same with this checkout's build and names every output that differs.
//   node bench/replay-identity.mjs save /tmp/base   (with main's build)
//   node bench/replay-identity.mjs check /tmp/base  (after a change; exit 1 on a difference)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { generateDroppedFlood, generateFlows, generateTrace } from './generate.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.join(here, '..');
const cli = path.join(root, 'bin', 'hoptrace.js');
const corpusRoot = process.env.CORPUS ?? '/work/shared/corpus';
/** Every n-th capture of the corpus (sorted by path), so the sample is the same every time. */
const CORPUS_STEP = Number(process.env.CORPUS_STEP ?? 3);
/** `save` with a build from before --threads existed leaves those cases out. */
const threadsSupported = process.argv[2] === 'check';
/** `check` also runs every case in the replay worker thread (HOPTRACE_REPLAY_WORKER=1), compared with the same saved output. */
const workerCases = process.argv[2] === 'check' && process.env.IDENTITY_WORKER !== '0';

function listDirs(dir) {
  if (!fs.existsSync(path.join(root, dir))) return [];
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name)).sort();
}

function corpusSample() {
  const files = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(pcap|pcapng|cap)$/.test(e.name)) files.push(p);
    }
  };
  if (fs.existsSync(corpusRoot)) walk(corpusRoot);
  return files.filter((_, i) => i % CORPUS_STEP === 0);
}

function generated(work) {
  return [
    generateTrace(path.join(work, 'bench-shape'), 20_000).dir,
    generateDroppedFlood(path.join(work, 'flood-dropped'), 3000).dir,
    generateFlows(path.join(work, 'flows'), 6000).dir,
    // 36 MB: bigger than the other generated traces; with the worker cases of `check` it runs in the worker too.
    generateTrace(path.join(work, 'bench-shape-36mb'), 80_000).dir,
  ];
}

function run(args, env = {}) {
  return new Promise((resolve) => {
    // Run from the checkout with paths relative to it, so two checkouts give comparable output.
    const child = spawn('node', [cli, 'replay', ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1', TZ: 'UTC', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('exit', (code) => resolve(`exit ${code}\n--- stderr\n${Buffer.concat(err)}--- stdout\n${Buffer.concat(out)}`));
  });
}

/** Cases: a name for the output file and the replay arguments. */
function cases(work) {
  const inputs = [
    ...listDirs('fixtures').filter((d) => fs.existsSync(path.join(root, d, 'path.json'))),
    ...listDirs(path.join('test', 'overlay', 'captures')),
    ...corpusSample(),
  ];
  const list = [];
  const name = (p) => (path.isAbsolute(p) ? `corpus/${path.relative(corpusRoot, p)}` : p).replace(/[/]/g, '__');
  for (const input of inputs) {
    list.push({ name: `${name(input)}.txt`, args: [input, '--text'] });
    list.push({ name: `${name(input)}.json`, args: [input, '--json'] });
  }
  for (const dir of generated(work)) {
    const n = `gen__${path.basename(dir)}`;
    list.push({ name: `${n}.txt`, args: [dir, '--text'] });
    list.push({ name: `${n}.json`, args: [dir, '--json'] });
    list.push({ name: `${n}.jsonl`, args: [dir, '--jsonl'] });
    list.push({ name: `${n}.pcap-parser.json`, args: [dir, '--json', '--pcap-reader', 'pcap-parser'] });
    // Worker threads reading the files (--threads) must not change a byte: checked against the plain run's output.
    if (threadsSupported) list.push({ name: `${n}.threads.json`, args: [dir, '--json', '--threads', '2'], as: `${n}.json` });
  }
  if (threadsSupported) {
    for (const input of inputs.slice(0, 6)) list.push({ name: `${name(input)}.threads.txt`, args: [input, '--text', '--threads', '3'], as: `${name(input)}.txt` });
  }
  if (workerCases) {
    for (const c of list.slice()) list.push({ ...c, name: `${c.name}.worker`, as: c.as ?? c.name, env: { HOPTRACE_REPLAY_WORKER: '1' } });
  }
  return list;
}

async function main() {
  const [mode, dir] = process.argv.slice(2);
  if (!['save', 'check'].includes(mode) || !dir) {
    console.error('usage: node bench/replay-identity.mjs save|check DIR');
    process.exit(2);
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-identity-'));
  try {
    const list = cases(work);
    if (mode === 'save') fs.mkdirSync(dir, { recursive: true });
    let differ = 0;
    let index = 0;
    const parallel = Number(process.env.IDENTITY_JOBS ?? 2);
    const worker = async () => {
      while (index < list.length) {
        const c = list[index++];
        const text = (await run(c.args, c.env)).replaceAll(work, '<work>');
        const file = path.join(dir, c.as ?? c.name);
        if (mode === 'save') fs.writeFileSync(file, text);
        else if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) {
          differ++;
          console.log(`DIFFERS: ${c.name}`);
          fs.writeFileSync(path.join(work, '..', `identity-${c.name}`), text);
        }
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    console.log(`${mode}: ${list.length} outputs${mode === 'check' ? `, ${differ} differ` : ''}`);
    if (differ > 0) process.exitCode = 1;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();
