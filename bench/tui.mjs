// npm run bench (after the replay rows): what the terminal UI costs. The same generated
// trace (BENCH_TUI_PACKETS packets in all, default 1 million, from fixtures/ping-out) is
// replayed with --json and with --tui; the UI runs in a real 80x24 terminal (tmux), and is
// told to quit with q once its screen says the trace ended. Figures: wall time until the
// report is complete, CPU seconds and peak memory (VmHWM) of the hoptrace process.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateTrace } from './generate.mjs';
import { measure } from './measure.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.join(here, '..');
const cli = path.join(root, 'bin', 'hoptrace.js');
const total = Number(process.env.BENCH_TUI_PACKETS ?? 1_000_000);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-bench-tui-'));
// A tmux server of its own, on a socket inside the work directory that is removed at the end.
const socket = path.join(work, 'tmux.sock');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const tmux = (...args) => execFileSync('tmux', ['-S', socket, '-f', '/dev/null', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function hasTmux() {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** VmHWM and CPU seconds (clock ticks of 1/100 s, as bench/measure.mjs) of a process, or undefined once it has gone. */
function sample(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return { peakMb: Number(/VmHWM:\s+(\d+)/.exec(status)[1]) / 1024, cpuS: (Number(stat[11]) + Number(stat[12])) / 100 };
  } catch {
    return undefined;
  }
}

/** Replays `dir` with --tui in an 80x24 tmux terminal; q once the screen says it ended. */
async function measureTui(dir) {
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  tmux('new-session', '-d', '-s', 'tui', '-x', '80', '-y', '24', '-e', 'TERM=xterm-256color', '-c', root,
    `exec env -u CI -u CONTINUOUS_INTEGRATION node ${cli} replay ${dir} --tui`);
  const pid = Number(tmux('display-message', '-p', '-t', 'tui', '#{pane_pid}').trim());
  let last = sample(pid);
  let endedAt;
  let screen = '';
  for (let i = 0; endedAt === undefined; i++) {
    await sleep(20);
    last = sample(pid) ?? last;
    if (i % 5 !== 0) continue;
    screen = tmux('capture-pane', '-p', '-t', 'tui');
    if (screen.includes('■ ended')) endedAt = { seconds: seconds(), ...last };
    if (seconds() > 120) throw new Error(`the UI did not end within 120 s:\n${screen}`);
  }
  tmux('send-keys', '-t', 'tui', 'q');
  for (let s = sample(pid); s; s = sample(pid)) {
    last = s;
    await sleep(20);
  }
  return { endedAt, exit: { seconds: seconds(), ...last }, screen };
}

function line(tool, packets, m) {
  const row = { tool, packets, seconds: +m.seconds.toFixed(2), mpps: +(packets / m.seconds / 1e6).toFixed(3), cpuS: +m.cpuS.toFixed(2), peakMb: Math.round(m.peakMb) };
  console.log(`${tool.padEnd(34)} ${String(packets).padStart(9)} pkts ${row.seconds.toFixed(2).padStart(7)} s ${row.mpps.toFixed(3).padStart(7)} Mpkt/s  cpu ${row.cpuS.toFixed(2).padStart(6)} s  peak ${String(row.peakMb).padStart(5)} MB`);
  return row;
}

if (!hasTmux()) {
  console.log('tui benchmark skipped: tmux is not installed (scripts/setup.sh installs it)');
  fs.rmSync(work, { recursive: true, force: true });
} else {
  try {
    const trace = generateTrace(path.join(work, 'trace'), Math.ceil(total / 4));
    const packets = trace.packets * trace.files.length;
    console.log(`-- terminal UI: ${trace.files.length} hops, ${packets} packets, replayed as fast as possible in an 80x24 tmux terminal`);
    const json = await measure('node', [cli, 'replay', trace.dir, '--json']);
    const rows = [line('hoptrace replay --json', packets, { ...json, cpuS: json.cpu.user + json.cpu.system })];
    const tui = await measureTui(trace.dir);
    rows.push(line('hoptrace replay --tui (until ended)', packets, tui.endedAt));
    rows.push(line('hoptrace replay --tui (until exit)', packets, tui.exit));
    const flows = /Flows (\d+)/.exec(tui.screen)?.[1];
    console.log(`   the UI's last screen listed ${flows ?? '?'} flows; q printed the report and exited`);
    fs.mkdirSync(path.join(here, 'out'), { recursive: true });
    fs.writeFileSync(path.join(here, 'out', 'tui.json'), `${JSON.stringify(rows, null, 2)}\n`);
  } finally {
    try {
      tmux('kill-server');
    } catch {
      // the server ended with its last session
    }
    fs.rmSync(work, { recursive: true, force: true });
  }
}
