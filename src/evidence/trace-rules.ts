// --trace-rules: exact per-packet answers from the kernel. A temporary nftables table sets
// `meta nftrace` on the traced flow only (before every other chain, priority -350), and
// `nft monitor trace` reports each rule and policy the packet meets. It changes the ruleset,
// so it is opt-in; the table is removed on stop(), on SIGINT/SIGTERM, and when the process exits.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
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
  const m = /^trace id (\S+) (\S+) (\S+) (\S+) (packet|rule|policy):? (.*?)\s*$/.exec(line);
  if (!m) return undefined;
  const [, id, family, table, chain, kind, rest] = m as unknown as [string, string, string, string, string, TraceEvent['kind'], string];
  const ev: TraceEvent = { id, family, table, chain, kind, text: rest };
  if (kind === 'policy') ev.verdict = rest;
  if (kind === 'rule') {
    const r = /^(.*?)(?: # handle (\d+))? \(verdict (.+)\)$/.exec(rest);
    if (r) {
      ev.text = (r[1] as string).replace(/counter packets \d+ bytes \d+/, 'counter');
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

export async function startRuleTrace(ns: Netns, flows: TracedFlow[], table = `hoptrace_trace_${process.pid}`): Promise<RuleTrace> {
  const [file, argv] = argvIn(ns, 'nft', ['-a', 'monitor', 'trace']);
  const monitor: ChildProcess = spawn(file, argv, { stdio: ['ignore', 'pipe', 'ignore'] });
  const events: TraceEvent[] = [];
  createInterface({ input: monitor.stdout! }).on('line', (line) => {
    const ev = parseTraceLine(line);
    if (ev && ev.table !== table) events.push(ev);
  });
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
    // `nft monitor trace` subscribes asynchronously: give it a moment, or the first traced packets go unreported.
    await new Promise((r) => setTimeout(r, 300));
    await nft(ns, ['-f', '-'], rulesetText(table, flows));
  } catch (err) {
    cleanup();
    throw err;
  }
  return {
    table, events,
    stop: async () => {
      // Let the monitor print what the kernel already queued before it is stopped.
      await new Promise((r) => setTimeout(r, 200));
      cleanup();
    },
  };
}
