import { spawn, type ChildProcess } from 'node:child_process';
import { isIPv6 } from 'node:net';
import { ExitCode, FatalError } from '../../errors.js';
import { argvIn, type Netns } from '../../discover/netns.js';
import { HELPER_PATH } from './netns-capture.js';
import { diesWithParent, onPath } from './parent-death.js';
import type { ProbeResult, ProbeSpec } from './probe.js';

/** Traffic sent from inside the traced namespace while every hop captures. */
export interface Traffic {
  /**
   * One line for the user once the traffic ended by itself: "3 of 3 echo requests sent,
   * 3 replies", "connect: refused"... It never settles after stop(): whoever stopped the
   * traffic knows why, and a line about a killed ping would only follow the report.
   */
  readonly finished: Promise<string>;
  /** Ends the traffic now; the kernel also kills it when hoptrace dies (see diesWithParent). */
  stop(): void;
}

/**
 * ICMP echo from inside the namespace with the host's own ping (iputils or busybox) run
 * through nsenter: the container's image needs no ping, and Node has no ICMP sockets.
 */
export function pingFrom(ns: Netns, destination: string, count: number, intervalS: number): Traffic {
  const ping = onPath('ping');
  const busybox = ping ? undefined : onPath('busybox');
  if (!ping && !busybox) {
    throw new FatalError('hoptrace ping needs a ping binary on the host (iputils-ping or busybox)', ExitCode.ENVIRONMENT);
  }
  const args = ['-q', '-c', String(count), '-i', String(intervalS), '-W', '2', destination];
  const [file, argv] = diesWithParent(...(ping ? argvIn(ns, ping, args) : argvIn(ns, busybox!, ['ping', ...args])));
  return runChild(file, argv, (out) => summarisePing(out, count));
}

export function summarisePing(output: string, count: number): string {
  const stats = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(output);
  if (!stats) return `ping ended: ${output.trim().split('\n').pop() ?? 'no output'}`;
  return `${stats[1]} of ${count} echo requests sent, ${stats[2]} ${stats[2] === '1' ? 'reply' : 'replies'}`;
}

/** A TCP connect or one UDP datagram from inside the namespace, by our own helper. */
export function probeFrom(ns: Netns, spec: ProbeSpec): Traffic {
  const [file, argv] = diesWithParent(...argvIn(ns, process.execPath, [HELPER_PATH, JSON.stringify(spec)]));
  return runChild(file, argv, (out) => summariseProbe(spec, out));
}

/** The probe's line for the user; an IPv6 address is bracketed before its port, as in a URL. */
export function summariseProbe(spec: ProbeSpec, output: string): string {
  try {
    const result = JSON.parse(output.trim().split('\n').pop() ?? '') as ProbeResult;
    const to = isIPv6(spec.host) ? `[${spec.host}]:${spec.port}` : `${spec.host}:${spec.port}`;
    const what = spec.mode === 'tcp' ? `TCP connect to ${to}` : `UDP datagram to ${to}`;
    return `${what}: ${result.outcome} after ${result.ms.toFixed(1)} ms`;
  } catch {
    return `${spec.mode} probe ended without a result`;
  }
}

function runChild(file: string, argv: string[], summarise: (stdout: string) => string): Traffic {
  const child: ChildProcess = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  let stopped = false;
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-1000)));
  const finished = new Promise<string>((resolve) => {
    child.on('error', (error) => resolve(`could not start ${file}: ${error.message}`));
    child.on('close', () => {
      if (stopped) return;
      resolve(stdout.trim() || !stderr.trim() ? summarise(stdout) : stderr.trim().split('\n').pop()!);
    });
  });
  return {
    finished,
    stop: () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      stopped = true;
      child.kill('SIGTERM');
    },
  };
}
