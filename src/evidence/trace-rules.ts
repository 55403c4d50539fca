// --trace-rules: exact per-packet answers from the kernel. A temporary nftables table sets
// `meta nftrace` on the traced flow only (before every other chain, priority -350), and
// `nft monitor trace` reports each rule and policy the packet meets. It changes the ruleset,
// so it is opt-in; the table is removed on stop(), on SIGINT/SIGTERM, and when the process exits.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { type Netns, argvIn, runIn } from '../discover/netns.js';
import type { Family, Rule, Ruleset } from './types.js';

export interface TraceEvent {
  /** The kernel's trace id: one per packet per hook. */
  id: string;
  family: string;
  table: string;
  chain: string;
  kind: 'packet' | 'rule' | 'policy';
  /** rule: the rule as nft prints it (without handle and verdict); packet: its fields. */
  text: string;
  handle?: number;
  /** accept, drop, continue, jump X, return...; for a policy, the policy. */
  verdict?: string;
}

/** Pairs of addresses whose packets (either way) are traced. */
export interface TracedFlow {
  family: Family;
  a: string;
  b: string;
}

export interface RuleTrace {
  table: string;
  events: TraceEvent[];
  stop(): Promise<void>;
}

/** One line of `nft -a monitor trace`, or undefined for other lines. */
export function parseTraceLine(line: string): TraceEvent | undefined {
  // A rule added after the monitor read the ruleset is printed without its text: `unknown rule handle 12 (verdict drop)`.
  const m = /^trace id (\S+) (\S+) (\S+) (\S+) (packet|rule|policy|unknown rule):? (.*?)\s*$/.exec(line);
  if (!m) return undefined;
  const [, id, family, table, chain, word, rest] = m as unknown as [string, string, string, string, string, string, string];
  const kind = word === 'unknown rule' ? 'rule' : (word as TraceEvent['kind']);
  const ev: TraceEvent = { id, family, table, chain, kind, text: rest };
  if (kind === 'policy') ev.verdict = rest;
  if (kind === 'rule') {
    const r = word === 'unknown rule' ? /^()handle (\d+) \(verdict (.+)\)$/.exec(rest) : /^(.*?)(?: # handle (\d+))? \(verdict (.+)\)$/.exec(rest);
    if (r) {
      ev.text = word === 'unknown rule' ? `unknown rule handle ${r[2]}` : (r[1] as string).replace(/counter packets \d+ bytes \d+/, 'counter');
      if (r[2]) ev.handle = Number(r[2]);
      ev.verdict = r[3];
    }
  }
  return ev;
}

/** The event that ended a traced packet: a rule or policy whose verdict is drop (or a reject rule). */
export function finalDrop(events: TraceEvent[]): TraceEvent | undefined {
  return events.find((e) => e.verdict === 'drop' || (e.kind === 'rule' && /\breject\b/.test(e.text)));
}

/** The snapshot's rule a trace event names (by table, chain and handle). */
export function ruleOfEvent(ev: TraceEvent, rs: Ruleset): Rule | undefined {
  return rs.rules.find((r) => r.handle !== undefined && r.handle === ev.handle && r.table === ev.table && r.chain === ev.chain);
}

function rulesetText(table: string, flows: TracedFlow[]): string {
  const rules = flows.flatMap((f) => {
    const ip = f.family === 4 ? 'ip' : 'ip6';
    return [`${ip} saddr ${f.a} ${ip} daddr ${f.b} meta nftrace set 1`, `${ip} saddr ${f.b} meta nftrace set 1`];
  });
  const chain = (name: string, hook: string): string =>
    `  chain ${name} {\n    type filter hook ${hook} priority -350; policy accept;\n${rules.map((r) => `    ${r}\n`).join('')}  }\n`;
  return `table inet ${table} {\n${chain('pre', 'prerouting')}${chain('out', 'output')}}\n`;
}

async function nft(ns: Netns, args: string[], input?: string): Promise<void> {
  if (input === undefined) {
    const r = await runIn(ns, 'nft', args);
    if (r.code !== 0) throw new Error(`nft ${args.join(' ')}: ${r.stderr.trim()}`);
    return;
  }
  const [file, argv] = argvIn(ns, 'nft', args);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(file, argv, { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`nft ${args.join(' ')}: ${err.trim()}`))));
    child.stdin.end(input);
  });
}

/** Whether the trace table is (still) in the namespace's ruleset. */
export async function traceTablePresent(ns: Netns, table: string): Promise<boolean> {
  return (await runIn(ns, 'nft', ['list', 'table', 'inet', table])).code === 0;
}

/** How long the monitor may take to start listening (it reads the whole ruleset first), or to be read to the end. */
const LISTEN_MS = 30_000;
const DRAIN_MS = 5_000;
/** NFNLGRP_NFTRACE (9): the netlink group of trace events, as a bit of /proc's Groups column. */
const NFTRACE_GROUP = 1 << (9 - 1);

/** The netfilter netlink socket of process `pid`, as /proc/PID/net/netlink shows it: its groups and the bytes queued for it to read. */
export function netlinkSocketOf(pid: number): { groups: number; queued: number } | undefined {
  let inodes: Set<string>;
  let table: string;
  try {
    inodes = new Set(readdirSync(`/proc/${pid}/fd`).map((fd) => /^socket:\[(\d+)\]$/.exec(readlinkSafe(`/proc/${pid}/fd/${fd}`))?.[1] ?? ''));
    table = readFileSync(`/proc/${pid}/net/netlink`, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of table.split('\n').slice(1)) {
    // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
    const f = line.trim().split(/\s+/);
    if (f[1] === '12' && inodes.has(f[9] ?? '')) return { groups: parseInt(f[3]!, 16), queued: Number(f[4]) };
  }
  return undefined;
}

function readlinkSafe(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

/** Polls `test` every 25 ms; resolves true once it holds, false after `ms`. */
async function until(test: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (test()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function startRuleTrace(ns: Netns, flows: TracedFlow[], table = `hoptrace_trace_${process.pid}`): Promise<RuleTrace> {
  const [file, argv] = argvIn(ns, 'nft', ['-a', 'monitor', 'trace']);
  const monitor: ChildProcess = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: TraceEvent[] = [];
  let lastLine = Date.now();
  let stderr = '';
  monitor.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const lines = createInterface({ input: monitor.stdout! });
  lines.on('line', (line) => {
    lastLine = Date.now();
    const ev = parseTraceLine(line);
    if (ev && ev.table !== table) events.push(ev);
  });
  let ended = false;
  const closed = new Promise<void>((resolve) => monitor.once('close', () => resolve()));
  void closed.then(() => (ended = true));
  monitor.once('error', () => undefined);
  const removeSync = (): void => {
    // On exit only synchronous work runs: delete the table with a blocking child.
    const [f, a] = argvIn(ns, 'nft', ['delete', 'table', 'inet', table]);
    spawnSync(f, a, { stdio: 'ignore' });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    cleanup();
    process.kill(process.pid, signal);
  };
  const cleanup = (): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', removeSync);
    monitor.kill('SIGTERM');
    removeSync();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', removeSync);
  try {
    // `nft monitor trace` joins the trace group only after it has read the whole ruleset, which
    // takes seconds on a host with many rules: packets traced before then go unreported. So the
    // table goes in once the kernel lists the monitor's socket in that group.
    const listening = await until(() => ended || ((netlinkSocketOf(monitor.pid ?? -1)?.groups ?? 0) & NFTRACE_GROUP) !== 0, LISTEN_MS);
    if (ended || !listening) throw new Error(`nft monitor trace ${ended ? `ended: ${stderr.trim() || `exit ${monitor.exitCode}`}` : `did not start listening within ${LISTEN_MS / 1000} s`}`);
    await nft(ns, ['-f', '-'], rulesetText(table, flows));
  } catch (err) {
    cleanup();
    throw err;
  }
  return {
    table, events,
    stop: async () => {
      // No packet is traced once the table is gone. Every trace the kernel made before that is
      // read when the monitor's socket has nothing queued and it has printed nothing for a while.
      await nft(ns, ['delete', 'table', 'inet', table]).catch(() => undefined);
      await until(() => ended || ((netlinkSocketOf(monitor.pid ?? -1)?.queued ?? 0) === 0 && Date.now() - lastLine >= 100), DRAIN_MS);
      cleanup();
      // Its output is read to the end once it has closed; a monitor that ignores SIGTERM is killed.
      const killer = setTimeout(() => monitor.kill('SIGKILL'), 2000);
      await closed;
      clearTimeout(killer);
    },
  };
}
