// Helpers of the network-mode live tests (IPv6, macvlan, host, none).
import { execFileSync, spawn } from 'node:child_process';
import { docker, type LabEnv } from './support.js';

export function removeNetworks(lab: LabEnv | undefined, ...names: string[]): void {
  for (const name of names) {
    try {
      if (lab) docker(lab, 'network', 'rm', name);
    } catch {
      // not there
    }
  }
}

/** Starts a long-running command in a namespace; the returned function stops it (by its pid). */
export function backgroundIn(nsPath: string, argv: string[]): () => void {
  const child = spawn('nsenter', [`--net=${nsPath}`, ...argv], { stdio: 'ignore' });
  return () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
}

/** Polls `ss` until something listens on TCP `port` in the namespace (throws after timeoutMs). */
export function waitForTcpListen(nsPath: string, port: number, timeoutMs = 10_000): void {
  const deadline = Date.now() + timeoutMs;
  while (execFileSync('nsenter', [`--net=${nsPath}`, 'ss', '-Hltn', `sport = :${port}`], { encoding: 'utf8' }).trim() === '') {
    if (Date.now() > deadline) throw new Error(`nothing listens on TCP port ${port} in ${nsPath} after ${timeoutMs} ms`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
}
