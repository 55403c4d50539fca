// Helpers of the network-mode live tests (IPv6, macvlan, host, none).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
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

/**
 * Why this kernel cannot make a link of this type (undefined when it can): tried in a
 * namespace of our own, on a veth, and the namespace removed again.
 */
export function kernelLacks(type: 'vlan' | 'ipvlan' | 'macvlan'): string | undefined {
  const ns = `htprobe-${process.pid}`;
  const ip = (...args: string[]): { status: number | null; stderr: string } => {
    const r = spawnSync('ip', ['-n', ns, ...args], { encoding: 'utf8' });
    return { status: r.status, stderr: r.stderr.trim() };
  };
  if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) return 'cannot create a network namespace to probe the kernel';
  try {
    ip('link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1');
    const args = type === 'vlan' ? ['link', 'add', 'link', 'p0', 'name', 'p0.10', 'type', 'vlan', 'id', '10'] : ['link', 'add', 'link', 'p0', 'name', 'c0', 'type', type];
    const made = ip(...args);
    const names = { vlan: '802.1Q VLAN (CONFIG_VLAN_8021Q)', ipvlan: 'ipvlan (CONFIG_IPVLAN)', macvlan: 'macvlan (CONFIG_MACVLAN)' };
    return made.status === 0 ? undefined : `this kernel has no ${names[type]}: ip link add type ${type}: ${made.stderr}`;
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}
