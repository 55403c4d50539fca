// Shared by the live tests that run the command line in-process (main() of src/cli.ts) against
// the real Docker lab, so that StrykerJS's mutants of src/commands are seen (a spawned
// bin/hoptrace.js runs dist/, not the mutated sources; `npm run mutation:lab`).
//
// Two things differ from a run of bin/hoptrace.js, and only these:
// - stdout's blocking writer keeps the text (the test file mocks src/render/stdout.js with
//   `keptStdout`), and stderr is spied on;
// - the capture helper is spawned from dist/ (`helperFromDist`): src/ has helper.ts, which node
//   cannot run, and the helper is not what is under test. Its protocol is the same code.
// Docker, the namespaces, libpcap and the traffic are the real lab's.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { vi } from 'vitest';
import { buildCli, type LabEnv } from './support.js';

/** dist/ up to date for the helper (not under StrykerJS, whose sandbox holds instrumented sources). */
export function buildHelper(): void {
  if (!process.env.HT_DIST_HELPER) buildCli();
}

/** The argv of a child with the source tree's helper path replaced by the built one. */
export function helperFromDist(args: string[]): string[] {
  const source = join('src', 'capture', 'live', 'helper.js');
  return args.map((arg) => {
    if (!arg.endsWith(source)) return arg;
    // Under StrykerJS the worktree's build (stryker.lab.config.mjs): the sandbox's sources are instrumented.
    return process.env.HT_DIST_HELPER ?? join(arg.slice(0, -source.length), 'dist', 'capture', 'live', 'helper.js');
  });
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** What main() wrote: the blocking writer's text (mocked by the test file) and stderr. */
export interface Written {
  stdout: string[];
}

/**
 * Runs `hoptrace <args>` in-process with DOCKER_HOST set to the lab's. process.argv is what a
 * user's would be (the trace's description and "sudo ..." lines are made from it).
 */
export async function runInProcess(written: Written, lab: Pick<LabEnv, 'dockerHost'>, args: string[], during?: () => void | Promise<void>): Promise<Run> {
  const { main } = await import('../../src/cli.js');
  written.stdout = [];
  const stderr: string[] = [];
  const argv = process.argv;
  process.argv = ['node', '/usr/local/bin/hoptrace', ...args];
  vi.stubEnv('NO_COLOR', '1');
  vi.stubEnv('DOCKER_HOST', lab.dockerHost);
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (stderr.push(String(chunk)), true));
  // `path` (and commander's help) write to process.stdout itself.
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (written.stdout.push(String(chunk)), true));
  try {
    const running = main(['node', 'hoptrace', ...args]);
    await during?.();
    const code = await running;
    return { code, stdout: written.stdout.join(''), stderr: stderr.join('') };
  } finally {
    spy.mockRestore();
    out.mockRestore();
    vi.unstubAllEnvs();
    process.argv = argv;
  }
}

/** The host-side name of a container's veth in the lab (its eth0's peer, by ifindex). */
export function vethOf(lab: LabEnv, container: string): string {
  const pid = execFileSync(lab.dockerCli, ['-H', lab.dockerHost, 'inspect', '-f', '{{.State.Pid}}', container]).toString().trim();
  const eth0 = JSON.parse(execFileSync('nsenter', [`--net=/proc/${pid}/ns/net`, 'ip', '-j', 'link', 'show', 'eth0']).toString()) as { link_index: number }[];
  const links = JSON.parse(execFileSync('ip', ['-n', lab.nsHost, '-j', 'link', 'show']).toString()) as { ifindex: number; ifname: string }[];
  const peer = links.find((l) => l.ifindex === eth0[0]!.link_index);
  if (!peer) throw new Error(`no veth of ${container} in ${lab.nsHost}`);
  return peer.ifname;
}

/** During runInProcess: what stderr has been told so far, once it includes `text` `times` times (polled, not slept on). */
export async function stderrIncludes(text: string, timeoutMs: number, times = 1): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = (process.stderr.write as unknown as { mock: { calls: unknown[][] } }).mock.calls.map((c) => String(c[0])).join('');
    if (seen.split(text).length > times) return seen;
    if (Date.now() > deadline) throw new Error(`stderr did not say '${text}' within ${timeoutMs} ms: ${seen}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
