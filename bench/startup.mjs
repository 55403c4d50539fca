// node bench/startup.mjs (also the last part of npm run bench): how long until hoptrace says
// something, from the spawn of its process.
// Replay: to the first line of the report of a bundled fixture, with `node bin/hoptrace.js` (the
// bundle of npm run build), the same code unbundled (tsc's dist/cli.js), `npx hoptrace` (the
// README's first form) and the bin file run directly (node_modules/.bin/hoptrace, npm link), with
// node's own start (`node -e ''`) as the floor. The variants take turns run by run, so a change
// of the machine's load hits them alike.
// Live (root, with the lab of $HT_LAB_ID up): to the first hop capturing (the first capture
// helper saying so, --debug), to every hop capturing ("capturing on"), to the first flow line and
// to the exit of a one-echo ping.
// BENCH_STARTUP_COMPARE=<another checkout>/bin/hoptrace.js times that build in turn with this one.
// BENCH_STARTUP_RUNS runs each (default 21): median, min and max, with the load average before
// and after (2 cores shared: the load is part of every figure).
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(path.dirname(new URL(import.meta.url).pathname), '..');
const cli = path.join(root, 'bin', 'hoptrace.js');
// BENCH_STARTUP_COMPARE: another checkout's built bin/hoptrace.js, timed in turn with this one (before/after).
const other = process.env.BENCH_STARTUP_COMPARE;
const runs = Number(process.env.BENCH_STARTUP_RUNS ?? 21);
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** Milliseconds from spawn to the first output matching each of `until`, and to exit. */
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
  return `median ${median.toFixed(0)} ms (min ${sorted[0].toFixed(0)}, max ${sorted.at(-1).toFixed(0)})`;
}

/** Runs every variant once per round, `runs` rounds; prints each mark's figures per variant. */
async function compare(variants, marks) {
  const before = loadavg();
  const results = Object.fromEntries(Object.keys(variants).map((label) => [label, []]));
  for (let i = 0; i < runs; i++) {
    for (const [label, { argv, ...options }] of Object.entries(variants)) results[label].push(await timeRun(argv, options));
  }
  for (const [label, list] of Object.entries(results)) {
    for (const mark of marks) {
      const times = list.map((r) => r[mark]).filter((t) => t !== undefined);
      // A mark no run printed (an older build has no --debug lines) is said, not timed.
      if (times.length === 0) console.log(`${label}: ${mark}: never printed`);
      else if (times.length < list.length) throw new Error(`${label}: no ${mark} in:\n${list.find((r) => r[mark] === undefined).output}`);
      else console.log(`${label}: ${mark}: ${summary(times)}`);
    }
  }
  console.log(`(${runs} runs each; load average before ${before}, after ${loadavg()})`);
}

const FIRST_LINE = { 'first line': /\n/ };
const replay = ['replay', 'fixtures/ping-out', '--text'];
const unbundled = `const { main } = await import(${JSON.stringify(path.join(root, 'dist', 'cli.js'))}); process.exitCode = await main([process.argv[0], 'hoptrace', ...process.argv.slice(1)]);`;
await compare(
  {
    "node -e '' (node's own start)": { argv: [process.execPath, '-e', "console.log('')"], until: FIRST_LINE },
    'replay fixtures/ping-out, node bin/hoptrace.js': { argv: [process.execPath, cli, ...replay], until: FIRST_LINE },
    'replay fixtures/ping-out, unbundled dist/cli.js': { argv: [process.execPath, '--input-type=module', '-e', unbundled, ...replay], until: FIRST_LINE },
    'replay fixtures/ping-out, bin/hoptrace.js run directly (npm link, node_modules/.bin)': { argv: [cli, ...replay], until: FIRST_LINE },
    'replay fixtures/ping-out, npx hoptrace': { argv: ['npx', 'hoptrace', ...replay], until: FIRST_LINE },
    ...(other ? { [`replay fixtures/ping-out, node ${other}`]: { argv: [process.execPath, other, ...replay], until: FIRST_LINE } } : {}),
  },
  ['first line'],
);

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
    const until = {
      'first hop capturing': /debug: [\d.]+ s: netns [^\n]*: capturing on/,
      'every hop capturing ("capturing on")': /hoptrace: capturing on/,
      'first flow line': /flow 1: /,
    };
    const ping = (bin) => ({ argv: [process.execPath, bin, '--debug', 'ping', name, lab.HT_OUTSIDE_ADDR, '--count', '1', '--text'], until, env: { DOCKER_HOST: lab.DOCKER_HOST } });
    await compare(
      {
        [`live ping ${name} ${lab.HT_OUTSIDE_ADDR} --count 1 --debug`]: ping(cli),
        ...(other ? { [`the same, node ${other}`]: ping(other) } : {}),
      },
      [...Object.keys(until), 'exit'],
    );
  } finally {
    docker('rm', '-f', name);
  }
}
