// node bench/startup.mjs (also the last part of npm run bench): how long until hoptrace says
// something. Replay: process start to the first byte of the report of a bundled fixture, with
// `node bin/hoptrace.js` and with `npx hoptrace` (the README's form). Live (root, with the lab of
// $HT_LAB_ID up): process start to "capturing on" (every hop's capture running), to the first
// flow line, and to exit of a one-echo ping (how soon the trace ends once its traffic settled).
// Medians of BENCH_STARTUP_RUNS runs (default 9), min and max beside them.
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';

const root = path.join(path.dirname(new URL(import.meta.url).pathname), '..');
const cli = path.join(root, 'bin', 'hoptrace.js');
const runs = Number(process.env.BENCH_STARTUP_RUNS ?? 9);

/** Milliseconds from spawn to the first chunk matching `until` on stdout or stderr, and to exit. */
function timeRun(argv, { until, env = {} }) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const ms = () => Number(process.hrtime.bigint() - started) / 1e6;
    const child = spawn(argv[0], argv.slice(1), { cwd: root, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const marks = {};
    let seen = '';
    const watch = (chunk) => {
      seen += chunk.toString();
      for (const [name, re] of Object.entries(until)) if (marks[name] === undefined && re.test(seen)) marks[name] = ms();
    };
    child.stdout.on('data', watch);
    child.stderr.on('data', watch);
    child.on('error', reject);
    child.on('close', (code) => resolve({ ...marks, exit: ms(), code, output: seen }));
  });
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  return `${median.toFixed(0)} ms (min ${sorted[0].toFixed(0)}, max ${sorted.at(-1).toFixed(0)})`;
}

async function series(label, argv, options, marks) {
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await timeRun(argv, options));
  const failed = results.find((r) => marks.some((m) => r[m] === undefined));
  if (failed) throw new Error(`${label}: no ${marks.find((m) => failed[m] === undefined)} in:\n${failed.output}`);
  for (const mark of marks) console.log(`${label}: ${mark}: ${summary(results.map((r) => r[mark]))}`);
}

const FIRST_LINE = { 'first line': /\n/ };
await series('replay fixtures/ping-out, node bin/hoptrace.js', [process.execPath, cli, 'replay', 'fixtures/ping-out', '--text'], { until: FIRST_LINE }, ['first line']);
await series('replay fixtures/ping-out, npx hoptrace', ['npx', 'hoptrace', 'replay', 'fixtures/ping-out', '--text'], { until: FIRST_LINE }, ['first line']);
await series('replay fixtures/ping-out, node_modules/.bin-style direct bin', [cli, 'replay', 'fixtures/ping-out', '--text'], { until: FIRST_LINE }, ['first line']);

function labEnv() {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const text = execFileSync(path.join(root, 'test/lab/lab.sh'), ['env'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    execFileSync(path.join(root, 'test/lab/lab.sh'), ['status'], { stdio: 'ignore' });
    return Object.fromEntries(text.trim().split('\n').map((line) => line.split(/=(.*)/s).slice(0, 2)));
  } catch {
    return undefined;
  }
}

const lab = labEnv();
if (!lab) {
  console.log('live: skipped (needs root and the lab up: HT_LAB_ID=x test/lab/lab.sh up)');
} else {
  const name = `ht-bench-startup-${process.pid}`;
  const docker = (...args) => execFileSync(lab.HT_DOCKER_CLI, ['-H', lab.DOCKER_HOST, ...args], { stdio: 'ignore' });
  docker('run', '-d', '--name', name, lab.HT_IMAGE, 'sleep', '600');
  try {
    const until = { 'capturing on (every hop capturing)': /capturing on/, 'first flow line': /flow 1: / };
    await series(
      `live ping ${name} ${lab.HT_OUTSIDE_ADDR} --count 1`,
      [process.execPath, cli, 'ping', name, lab.HT_OUTSIDE_ADDR, '--count', '1', '--text'],
      { until, env: { DOCKER_HOST: lab.DOCKER_HOST } },
      [...Object.keys(until), 'exit'],
    );
  } finally {
    docker('rm', '-f', name);
  }
}
