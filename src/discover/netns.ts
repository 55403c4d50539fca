import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ExitCode, FatalError } from '../errors.js';

/** A network namespace: how to enter it (a path nsenter accepts) and how to name it to the user. */
export interface Netns {
  /** e.g. "host", "container:c1", "ht-dockerhost". */
  label: string;
  /** e.g. /proc/1234/ns/net or /var/run/netns/ht-dockerhost; undefined = this process's own. */
  path?: string;
}

export const OWN_NETNS: Netns = { label: 'host' };

/** `--netns` takes an `ip netns` name or a path to a namespace file. */
export function netnsFromArg(arg: string, label = arg): Netns {
  const path = isAbsolute(arg) || arg.includes('/') ? arg : join('/var/run/netns', arg);
  try {
    statSync(path);
  } catch {
    throw new FatalError(`no such network namespace: ${arg} (looked for ${path})`, ExitCode.ENVIRONMENT);
  }
  return { label, path };
}

export function netnsOfPid(pid: number, label: string): Netns {
  const path = `/proc/${pid}/ns/net`;
  try {
    statSync(path);
  } catch {
    throw new FatalError(`no process ${pid}: ${path} does not exist`, ExitCode.ENVIRONMENT);
  }
  return { label, path };
}

/** Namespace identity is the inode of its nsfs file: two paths can name the same namespace. */
export function netnsInode(ns: Netns): number {
  return statSync(ns.path ?? '/proc/self/ns/net').ino;
}

export function isOwnNetns(ns: Netns): boolean {
  return ns.path === undefined || netnsInode(ns) === statSync('/proc/self/ns/net').ino;
}

/**
 * The argv that runs `cmd` inside `ns`. nsenter --net only switches the network namespace
 * (`ip netns exec` would also remount /sys); inside our own namespace no nsenter is needed,
 * which keeps unprivileged `path` lookups possible there.
 */
export function argvIn(ns: Netns, cmd: string, args: string[]): [string, string[]] {
  if (isOwnNetns(ns)) return [cmd, args];
  return ['nsenter', [`--net=${ns.path}`, '--', cmd, ...args]];
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs a short command in a namespace; never throws for a non-zero exit, the caller decides. */
export function runIn(ns: Netns, cmd: string, args: string[], timeoutMs = 10_000): Promise<RunResult> {
  const [file, argv] = argvIn(ns, cmd, args);
  return new Promise((resolve) => {
    execFile(file, argv, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 127) : 0;
      const why = error && typeof error.code !== 'number' ? `${error.message}\n` : '';
      resolve({ stdout: String(stdout), stderr: why + String(stderr), code });
    });
  });
}

/** `ip -j ...` in a namespace, parsed; a failure is an environment problem named with its command. */
export async function ipJson<T>(ns: Netns, args: string[]): Promise<T> {
  const result = await runIn(ns, 'ip', ['-j', ...args]);
  if (result.code !== 0) {
    const line = result.stderr.trim().split('\n')[0] || `exit ${result.code}`;
    throw new FatalError(`ip ${args.join(' ')} in netns ${ns.label} failed: ${line}`, ExitCode.ENVIRONMENT);
  }
  const text = result.stdout.trim();
  return (text === '' ? [] : JSON.parse(text)) as T;
}
