// node bench/remote-startup.mjs (root, with the multi-host lab of $HT_LAB_ID up:
// `HT_LAB_ID=.. test/lab/multihost.sh up`): the start-up a remote Docker host adds to a trace.
// Process start to "capturing on" (every hop of every host capturing) for
//   watch c1 --host h1=unix://...                      (one host: the local engine's socket)
//   watch c1 --host h1=unix://... --host h2=tcp://...  (plus h2 over TCP)
//   watch c1 --host h1=unix://... --host h2=ssh://...  (plus h2 over ssh, Docker's dial-stdio)
// run from the lab's outside namespace (the only one reaching h2). The first h2 run after the
// helper image is removed from h2 loads it (cold); the others reuse it (warm). Medians of
// BENCH_REMOTE_RUNS runs (default 5), min and max beside them.
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { multihostLabEnv } from './multihost-lab.mjs';

const root = path.join(path.dirname(new URL(import.meta.url).pathname), '..');
const cli = path.join(root, 'bin', 'hoptrace.js');
const runs = Number(process.env.BENCH_REMOTE_RUNS ?? 5);

/** ms from spawn to "capturing on"; then Ctrl-C, and the run's end awaited. */
function timeToCapture(hosts, env) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('nsenter', [`--net=/var/run/netns/${env.HT_NS_OUTSIDE}`, process.execPath, cli, 'watch', 'c1', '--text', ...hosts.flatMap((h) => ['--host', h])], {
      env: { ...process.env, NO_COLOR: '1', HOME: env.HT_SSH_HOME }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    let at;
    child.stderr.on('data', (d) => {
      err += d;
      if (at === undefined && /capturing on/.test(err)) {
        at = Number(process.hrtime.bigint() - started) / 1e6;
        child.kill('SIGINT');
      }
    });
    child.on('close', () => (at === undefined ? reject(new Error(`never capturing: ${err}`)) : resolve(at)));
  });
}

const fmt = (values) => {
  const s = [...values].sort((a, b) => a - b);
  return `${s[Math.floor(s.length / 2)].toFixed(0)} ms (min ${s[0].toFixed(0)}, max ${s.at(-1).toFixed(0)}, ${s.length} runs)`;
};

async function main() {
  const env = multihostLabEnv();
  if (typeof env === 'string') {
    console.log(`remote start-up: skipped (${env})`);
    return;
  }
  const h1 = `h1=${env.HT_H1_DOCKER_HOST}`;
  const forms = [['tcp', `h2=${env.HT_H2_DOCKER_HOST}`], ...(env.HT_H2_SSH ? [['ssh', `h2=${env.HT_H2_SSH}`]] : [])];
  console.log(`remote start-up (lab ${env.HT_LAB_ID}, engine ${env.HT_ENGINE}; load ${execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ')})`);
  await timeToCapture([h1], env); // h1's image in place before measuring
  const one = [];
  for (let i = 0; i < runs; i++) one.push(await timeToCapture([h1], env));
  console.log(`  one host (h1, unix socket):            ${fmt(one)}`);
  const base = [...one].sort((a, b) => a - b)[Math.floor(one.length / 2)];
  for (const [form, h2] of forms) {
    execFileSync('nsenter', [`--net=/var/run/netns/${env.HT_NS_OUTSIDE}`, env.HT_DOCKER_CLI, '-H', env.HT_H2_DOCKER_HOST, 'image', 'rm', '-f', ...listHelperImages(env)], { stdio: 'ignore' });
    const cold = await timeToCapture([h1, h2], env);
    const warm = [];
    for (let i = 0; i < runs; i++) warm.push(await timeToCapture([h1, h2], env));
    const median = [...warm].sort((a, b) => a - b)[Math.floor(warm.length / 2)];
    console.log(`  + h2 over ${form}, helper image loaded:  ${cold.toFixed(0)} ms (1 run; +${(cold - base).toFixed(0)} ms)`);
    console.log(`  + h2 over ${form}, image reused:         ${fmt(warm)}; added per remote host: +${(median - base).toFixed(0)} ms (medians)`);
  }
}

function listHelperImages(env) {
  const out = execFileSync('nsenter', [`--net=/var/run/netns/${env.HT_NS_OUTSIDE}`, env.HT_DOCKER_CLI, '-H', env.HT_H2_DOCKER_HOST, 'images', 'hoptrace-helper', '--format', '{{.Repository}}:{{.Tag}}'], { encoding: 'utf8' });
  const tags = out.split('\n').filter(Boolean);
  return tags.length > 0 ? tags : ['hoptrace-helper:none'];
}

await main();
