// The host's state around a live trace: read before the capture starts and after it stops,
// in the namespace holding the path's veths, bridge and uplink (dockerd's). Read-only, unless
// --trace-rules asked for the temporary nftables trace table.
//
// A long trace writes flows out before its end (they leave memory). Such a flow gets its
// causes from a reading of the host begun after it was retired, so every counter of that
// reading could have counted its packets: never from a reading taken while its packets may
// still have been on their way. Conntrack forgets an ICMP or UDP mapping 30 s after its last
// packet, about when an idle flow is retired, so the traced container's conntrack entries are
// also sampled while the trace runs and kept for a while (entries seen during the trace only).
import { join } from 'node:path';
import type { FlowReport, Hop, Report } from '../model.js';
import type { DiscoveredPath } from '../discover/path.js';
import { runIn, type Netns } from '../discover/netns.js';
import { DEFAULTS } from '../pipeline/options.js';
import { attachCauses, flowCauses, routeQuestionsOf } from './causes.js';
import { collectSnapshot, type CollectOptions, type RouteQuestion } from './collect.js';
import { parseConntrack } from './conntrack.js';
import { relayOnlyHop } from './relay-source.js';
import { type HostEvidence, hostEvidence, writeHostFile } from './host-file.js';
import { type RuleTrace, startRuleTrace } from './trace-rules.js';
import type { CtEntry, HostSnapshot } from './types.js';

export const HOST_FILE_NAME = 'host.json';

export interface HostWatch {
  /** Ends --trace-rules' table and the background readings (also when the trace failed); safe to call twice. */
  stop(): Promise<void>;
  /**
   * A flow the trace retired before its end: given its causes from a reading of the host begun
   * after now, then passed to `onRetired`, in the order flows were retired. `hops`: the trace's
   * hops as the flow names them (the report's); by default the path's without its relay-only lo.
   */
  retired(flow: FlowReport, hops?: Hop[]): void;
  /**
   * Gives the flows still waiting for a reading their causes (from the last reading, begun after
   * all of them), reads the host again, writes host.json into `recordDir` if given, and returns
   * the report with causes (`keep` gets the evidence, for --pcapng to carry).
   */
  finish(report: Report, recordDir?: string, keep?: (evidence: HostEvidence) => void): Promise<Report>;
}

/** How the host is read: the real commands, or a test's stand-in. */
export interface HostReader {
  snapshot(routes: RouteQuestion[]): Promise<HostSnapshot>;
  /** The namespace's conntrack table now (empty when it cannot be read: the full reading says why). */
  conntrack(): Promise<CtEntry[]>;
}

export interface WatchOptions {
  traceRules: boolean;
  /** Where retired flows go once they have their causes. */
  onRetired?: (flow: FlowReport) => void;
  /** At most one reading of the host for retired flows, and one conntrack sample, per this many ms (default 5000). */
  readingGapMs?: number;
  /** More flows than this waiting for a reading start one at once, gap or not (default: DEFAULTS.maxFlows), so memory stays bounded at any flow rate. */
  maxWaiting?: number;
  /** How long a conntrack entry seen during the trace is kept after it was last seen (default: the flow idle time + 30 s). */
  conntrackKeepMs?: number;
  reader?: HostReader;
}

const HOST_ROLES = new Set(['veth', 'bridge', 'uplink', 'host']);

export async function watchHost(path: DiscoveredPath, options: WatchOptions): Promise<HostWatch> {
  const ns = path.target.hostNetns;
  const interfaces = [...new Set(path.hops.filter((h) => HOST_ROLES.has(h.role)).map((h) => h.iface ?? h.name))];
  const base: CollectOptions = { interfaces, routes: [], ...(path.target.docker ? { docker: path.target.docker } : {}) };
  const traced = path.addrs.map((a) => a.split('/')[0]!);
  // The report's hops: the lo captured only to tie docker-proxy's relays is not on the path.
  const reportHops = path.hops.filter((h) => !relayOnlyHop(h, path.hops));
  const reader = options.reader ?? commandReader(ns, base, traced);
  const before: HostSnapshot = await reader.snapshot([]);
  const rules = await traceRulesFor(path, options.traceRules);
  const gapMs = options.readingGapMs ?? 5000;
  const recent = new RecentConntrack(traced, options.conntrackKeepMs ?? DEFAULTS.flowIdleMs + 30_000);
  const sampler = sampleConntrack(reader, recent, gapMs);
  const evidenceWith = (after: HostSnapshot): HostEvidence =>
    hostEvidence([{ role: 'host', before, after: { ...after, conntrack: recent.merged(after) } }], rules.events());
  const causes = (flows: FlowReport[], hops: Hop[], after: HostSnapshot): FlowReport[] => {
    const evidence = evidenceWith(after);
    recent.add(after.conntrack, after.takenAt);
    const done = flowCauses(flows, hops, evidence);
    // A recording's host.json must still hold what a retired flow's causes rest on, however long ago.
    recent.keepUsed(done.flatMap(conntrackUsed));
    return done;
  };
  const retiring = new RetiredFlows(reader, { gapMs, maxWaiting: options.maxWaiting ?? DEFAULTS.maxFlows }, causes, options.onRetired);
  const stop = async (): Promise<void> => {
    sampler.stop();
    retiring.stop();
    await rules.stop();
  };
  return {
    stop,
    retired: (flow, hops = reportHops) => retiring.add(flow, hops),
    async finish(report, recordDir, keep) {
      await stop();
      await retiring.settle();
      const waiting = retiring.take();
      const after = await reader.snapshot(routeQuestionsOf({ hops: report.hops, flows: [...waiting, ...report.flows] }));
      retiring.emit(waiting, report.hops, after);
      const evidence = evidenceWith(after);
      if (recordDir) writeHostFile(join(recordDir, HOST_FILE_NAME), evidence);
      keep?.(evidence);
      const done = attachCauses(report, evidence, { traceRules: options.traceRules });
      const gaps = [...new Set([...(done.causes?.gaps ?? []), ...retiring.gaps])];
      return done.causes ? { ...done, causes: { ...done.causes, gaps } } : done;
    },
  };
}

/** --trace-rules' temporary nftables table for the traced addresses and the destination: its events so far; stop() ends it (twice is fine). */
async function traceRulesFor(path: DiscoveredPath, on: boolean): Promise<{ events(): RuleTrace['events'] | undefined; stop(): Promise<void> }> {
  if (!on || !path.destination) return { events: () => undefined, stop: async () => undefined };
  const family = path.destination.includes(':') ? 6 : 4;
  const flows = path.addrs.filter((a) => a.includes(':') === (family === 6)).map((a) => ({ family: family as 4 | 6, a: a.split('/')[0]!, b: path.destination! }));
  let trace: RuleTrace | undefined = await startRuleTrace(path.target.hostNetns, flows);
  const { events } = trace;
  return {
    events: () => events,
    async stop() {
      const t = trace;
      trace = undefined;
      await t?.stop();
    },
  };
}

function commandReader(ns: Netns, base: CollectOptions, traced: string[]): HostReader {
  return {
    snapshot: (routes) => collectSnapshot(ns, { ...base, routes }),
    // Only the traced addresses' entries (sent from them, or answered by them behind a DNAT):
    // a busy host's whole table every few seconds would cost more than the trace.
    async conntrack() {
      const entries: CtEntry[] = [];
      for (const addr of traced) {
        const family = addr.includes(':') ? 'ipv6' : 'ipv4';
        for (const side of ['--orig-src', '--reply-src']) {
          const r = await runIn(ns, 'conntrack', ['-L', '-o', 'extended', '-f', family, side, addr]);
          if (r.code === 0) entries.push(...parseConntrack(r.stdout));
        }
      }
      return entries;
    },
  };
}

/** A flow needs the host's state only for a not-ok verdict or a rewrite; any other gets no cause. */
const needsCause = (flow: FlowReport): boolean => flow.verdict !== 'ok' || flow.rewrites.length > 0;

/**
 * Flows retired before the end, waiting for a reading of the host begun after they were
 * retired. At most one reading every `gapMs`, unless more than `maxWaiting` flows wait; the
 * flows retired while one runs wait for the next. Flows are passed on in the order they were
 * retired. Memory: at most `maxWaiting` flows, plus those retired during one reading.
 */
class RetiredFlows {
  private waiting: FlowReport[] = [];
  private hops: Hop[] = [];
  private reading: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastStart = -Infinity;
  private stopped = false;
  readonly gaps: string[] = [];

  constructor(
    private readonly reader: HostReader,
    private readonly limits: { gapMs: number; maxWaiting: number },
    private readonly causes: (flows: FlowReport[], hops: Hop[], after: HostSnapshot) => FlowReport[],
    private readonly onRetired: ((flow: FlowReport) => void) | undefined,
  ) {}

  add(flow: FlowReport, hops: Hop[]): void {
    if (this.stopped || !this.onRetired) return;
    this.hops = hops;
    // Nothing ahead of it and nothing to attribute: out at once.
    if (!needsCause(flow) && this.waiting.length === 0 && !this.reading) {
      this.onRetired(flow);
      return;
    }
    this.waiting.push(flow);
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped || this.reading || this.waiting.length === 0) return;
    const crowded = this.waiting.length > this.limits.maxWaiting;
    if (this.timer && !crowded) return;
    clearTimeout(this.timer);
    const wait = crowded ? 0 : Math.max(0, this.lastStart + this.limits.gapMs - Date.now());
    this.timer = setTimeout(() => this.read(), wait);
  }

  private read(): void {
    this.timer = undefined;
    // Only the flows retired before this reading begins may take their causes from it.
    const batch = this.waiting;
    this.waiting = [];
    this.lastStart = Date.now();
    const routes = routeQuestionsOf({ hops: this.hops, flows: batch.filter(needsCause) });
    const hops = this.hops;
    this.reading = this.reader.snapshot(routes).then(
      (after) => this.emit(batch, hops, after),
      (err: Error) => {
        this.gaps.push(`the host could not be read for flows retired during the trace: ${err.message}`);
        for (const flow of batch) this.onRetired?.(flow);
      },
    ).finally(() => {
      this.reading = undefined;
      this.schedule();
    });
  }

  emit(flows: FlowReport[], hops: Hop[], after: HostSnapshot): void {
    if (flows.length === 0) return;
    this.gaps.push(...after.gaps);
    for (const flow of this.causes(flows, hops, after)) this.onRetired?.(flow);
  }

  /** Waits for the reading under way; the flows still waiting are then taken with take(). */
  async settle(): Promise<void> {
    this.stop();
    await this.reading;
  }

  take(): FlowReport[] {
    const flows = this.waiting;
    this.waiting = [];
    return flows;
  }

  /** No reading is started any more; the flows waiting stay for finish(). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * Conntrack entries of the traced addresses seen during the trace, until `keepMs` after they
 * were last seen. An entry shows the mapping of its own tuples only, so one seen a little
 * earlier proves the same for a flow whose packets carried those tuples.
 */
class RecentConntrack {
  private readonly entries = new Map<string, { entry: CtEntry; seen: number }>();
  /** Entries a retired flow's causes named: kept to the end (the newest MAX_USED_CONNTRACK), so a replay of the recording finds them. */
  private readonly used = new Map<string, CtEntry>();
  private readonly addrs: Set<string>;

  constructor(addrs: string[], private readonly keepMs: number) {
    this.addrs = new Set(addrs);
  }

  add(entries: CtEntry[], now: number): void {
    for (const entry of entries) {
      const { original: o, reply: r } = entry;
      if (!this.addrs.has(o.src) && !this.addrs.has(o.dst) && !this.addrs.has(r.src) && !this.addrs.has(r.dst)) continue;
      this.entries.set(ctKey(entry), { entry, seen: now });
    }
    for (const [key, { seen }] of this.entries) if (now - seen > this.keepMs) this.entries.delete(key);
  }

  /** Entries a retired flow's causes named: kept to the end, the most recently named first to stay. */
  keepUsed(entries: CtEntry[]): void {
    for (const entry of entries) {
      const key = ctKey(entry);
      this.used.delete(key);
      this.used.set(key, entry);
    }
    for (const key of this.used.keys()) {
      if (this.used.size <= MAX_USED_CONNTRACK) break;
      this.used.delete(key);
    }
  }

  /** The reading's own entries first, then those it no longer has: seen lately, or named by a retired flow's causes. */
  merged(after: HostSnapshot): CtEntry[] {
    const merged = [...after.conntrack];
    const listed = new Set(merged.map(ctKey));
    const add = (key: string, entry: CtEntry): void => {
      if (listed.has(key)) return;
      listed.add(key);
      merged.push(entry);
    };
    for (const [key, { entry }] of this.entries) add(key, entry);
    for (const [key, entry] of this.used) add(key, entry);
    return merged;
  }
}

/** At most this many conntrack entries named by retired flows' causes are kept for the recording (about 300 bytes each). */
const MAX_USED_CONNTRACK = 20_000;

/** The conntrack entries a flow's causes rest on: its own cause's and each rewrite's. */
function conntrackUsed(flow: FlowReport): CtEntry[] {
  const causes = [flow.cause, ...flow.rewrites.map((r) => r.cause)];
  return causes.flatMap((c) => c?.evidence.conntrack ?? []);
}

/** An entry's identity across readings: its tuples (the line's timer and counters change). */
const ctKey = (e: CtEntry): string => JSON.stringify([e.family, e.proto, e.original, e.reply]);

function sampleConntrack(reader: HostReader, recent: RecentConntrack, gapMs: number): { stop(): void } {
  let busy = false;
  const sample = (): void => {
    if (busy) return;
    busy = true;
    reader.conntrack().then((entries) => recent.add(entries, Date.now()), () => undefined).finally(() => (busy = false));
  };
  const timer = setInterval(sample, gapMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
