import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { argvIn, netnsInode, type Netns } from '../../discover/netns.js';
import { diesWithParent } from './parent-death.js';

export const HELPER_PATH = fileURLToPath(new URL('./helper.js', import.meta.url));

/**
 * A capture helper process, started in its namespace before it is told what to capture (its
 * taps come later, as one line on its stdin): node and libpcap load while the path is still
 * being discovered. What happens to the process before anyone watches its output is kept.
 */
export interface HelperProcess {
  readonly netns: Netns;
  readonly child: ChildProcess;
  /** Settles when the process has exited and its output is closed. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Settles if the process could not be started at all. */
  readonly failed: Promise<Error>;
  /** The last 2000 characters it wrote on stderr. */
  stderr(): string;
  /** Told what the helper does, for --debug (`capturing on docker0`). */
  log(event: string): void;
}

export function startHelperProcess(netns: Netns, log: (event: string) => void = () => undefined): HelperProcess {
  const [file, args] = diesWithParent(...argvIn(netns, process.execPath, [HELPER_PATH]));
  // Its own process group: a terminal's Ctrl-C reaches only us, and we stop helpers in order.
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  child.stdin!.on('error', () => undefined);
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const failed = new Promise<Error>((resolve) => child.on('error', resolve));
  log(`capture helper started in netns ${netns.label}`);
  return { netns, child, closed, failed, stderr: () => stderr, log: (event) => log(`netns ${netns.label}: ${event}`) };
}

/**
 * The helpers of one live trace, started as soon as each namespace of the path is known and
 * handed to the capture of that namespace once discovery has found its hops. Whoever made it
 * ends it: a helper nobody took is stopped (it exits when its stdin closes).
 */
export class CaptureHelpers {
  private readonly started = new Map<number, HelperProcess>();
  /** Namespaces whose capture has its helper: a late start there would be one too many. */
  private readonly taken = new Set<number>();
  private disposed = false;

  constructor(private readonly log: (event: string) => void = () => undefined) {}

  /** Starts a helper in `netns` unless one was started there already; a namespace that cannot be named is left to the capture to report. */
  startIn(netns: Netns): void {
    if (this.disposed) return;
    const key = inodeOf(netns);
    if (key === undefined || this.started.has(key) || this.taken.has(key)) return;
    this.started.set(key, startHelperProcess(netns, this.log));
  }

  /** The helper started in `netns`, handed over once; a new one when none was started there. */
  take(netns: Netns): HelperProcess {
    const key = inodeOf(netns);
    if (key === undefined) return startHelperProcess(netns, this.log);
    this.taken.add(key);
    const early = this.started.get(key);
    this.started.delete(key);
    return early ?? startHelperProcess(netns, this.log);
  }

  /** Stops every helper not taken. */
  dispose(): void {
    this.disposed = true;
    for (const helper of this.started.values()) {
      helper.child.stdin!.end();
      helper.child.kill('SIGTERM');
    }
    this.started.clear();
  }
}

function inodeOf(netns: Netns): number | undefined {
  try {
    return netnsInode(netns);
  } catch {
    return undefined;
  }
}
