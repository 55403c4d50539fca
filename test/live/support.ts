// Shared by the live tests: they run the real CLI (node bin/hoptrace.js, built from src) as
// root against the real Docker lab of test/lab/lab.sh. HT_LAB_ID picks a second lab.
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createLab, labUnavailableReason, type LabEnv } from '../lab/lab.js';

export const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'hoptrace.js');

function which(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

/** Why the live tests cannot run here, or undefined when they can. */
export function skipReason(needDocker = true): string | undefined {
  if (process.getuid?.() !== 0) return 'live tests need root (network namespaces, packet capture): run as root, as CI does';
  for (const tool of ['ip', 'nsenter', 'iptables', 'setpriv']) if (!which(tool)) return `live tests need ${tool}`;
  return needDocker ? (labUnavailableReason() ?? undefined) : undefined;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Compiles src to dist when a source is newer than the build: the tests run the CLI as users do. */
export function buildCli(): void {
  const built = join(ROOT, 'dist', 'cli.js');
  if (existsSync(built) && statSync(built).mtimeMs > newestSource(join(ROOT, 'src'))) return;
  spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'ignore' });
  if (!existsSync(join(ROOT, 'dist', 'cli.js'))) throw new Error('npx tsc -p tsconfig.json did not produce dist/cli.js');
}

export type { LabEnv };

/** Brings the lab of $HT_LAB_ID (default: the shared lab) up, idempotently, through test/lab/lab.ts. */
export function labUp(): LabEnv {
  return createLab().up();
}

export function docker(lab: LabEnv, ...args: string[]): string {
  return execFileSync(lab.dockerCli, ['-H', lab.dockerHost, ...args], { timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
}

/** A container of the lab image; removed by the caller's afterAll through removeContainers. */
export function runContainer(lab: LabEnv, name: string, ...args: string[]): string {
  removeContainers(lab, name);
  // docker run options, then `--` and the command (default: sleep).
  const split = args.indexOf('--');
  const options = split < 0 ? args : args.slice(0, split);
  const command = split < 0 ? ['sleep', '3600'] : args.slice(split + 1);
  docker(lab, 'run', '-d', '--name', name, ...options, lab.image, ...command);
  return docker(lab, 'inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name);
}

export function runServer(lab: LabEnv, name: string, ...args: string[]): string {
  removeContainers(lab, name);
  docker(lab, 'run', '-d', '--name', name, ...args, lab.image, 'httpd', '-f', '-p', '80', '-h', '/var/www');
  return docker(lab, 'inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name);
}

export function removeContainers(lab: LabEnv | undefined, ...names: string[]): void {
  if (!lab) return;
  try {
    docker(lab, 'rm', '-f', ...names);
  } catch {
    // already gone
  }
}

export function inNetns(ns: string, ...cmd: string[]): string {
  return execFileSync('nsenter', [`--net=/var/run/netns/${ns}`, ...cmd], { timeout: 30_000 }).toString();
}

/** Runs the CLI to its end, as a separate process. */
export function hoptrace(args: string[], env: Record<string, string> = {}, timeout = 60_000, prefix: string[] = []): SpawnSyncReturns<string> {
  const argv = [...prefix, process.execPath, CLI, ...args];
  return spawnSync(argv[0]!, argv.slice(1), {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    encoding: 'utf8',
    timeout,
  });
}

export const CLI_PATH = CLI;

/** As user nobody with no capabilities at all, as someone without sudo would run it. */
export const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all'];

/** The JSON report of a run that printed one. */
export function jsonReport(result: SpawnSyncReturns<string>): {
  hops: { name: string; role: string; kernel?: { received: number; dropped: number; ifDropped: number } }[];
  flows: {
    proto: string;
    initiator: string;
    responder: string;
    verdict: string;
    reached: string;
    dropBetween: [string, string] | null;
    rewrites: { between: [string, string]; direction: string; field: string; from: string; to: string; cause?: { kind: string } }[];
    findings: { code: string; message: string }[];
  }[];
  summary: { packetsPerHop: number[]; warnings: string[]; timestamps: string };
} {
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new Error(`no JSON report (exit ${result.status}): stdout ${result.stdout.slice(0, 400)} stderr ${result.stderr}`);
  }
}

/** A report's rewrites without their `cause` (the host's rule behind each, asserted on its own). */
export function withoutCauses<T extends { cause?: unknown }>(rewrites: T[]): Omit<T, 'cause'>[] {
  return rewrites.map(({ cause: _cause, ...rewrite }) => rewrite);
}
