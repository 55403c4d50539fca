// Runs a command and measures wall time, CPU time and peak memory (VmHWM, polled from /proc).
// With timeoutS, a run that takes longer is killed and reported as timedOut.
import { spawn } from 'node:child_process';
import fs from 'node:fs';

export function measure(command, args, { env = process.env, stdout = 'ignore', timeoutS = 0 } = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { env, stdio: ['ignore', stdout, 'pipe'] });
    let stderr = '';
    let peakKb = 0;
    let cpu = { user: 0, system: 0 };
    const poll = () => {
      try {
        const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const hwm = /VmHWM:\s+(\d+)/.exec(status);
        if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
        const stat = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
        cpu = { user: Number(stat[11]) / 100, system: Number(stat[12]) / 100 };
      } catch {
        // the process has just ended
      }
    };
    const timer = setInterval(poll, 20);
    let timedOut = false;
    const limit = timeoutS > 0 ? setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), timeoutS * 1000) : undefined;
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      clearTimeout(limit);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({ code, signal, timedOut, seconds, peakMb: peakKb / 1024, cpu, stderr });
    });
  });
}
