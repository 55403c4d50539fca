// Attribution: pure functions from what the pipeline saw (a drop point, a rewrite) and the
// host's state before and after the trace, to a Cause. No words here: see words.ts.
import type {
  Cause, Chain, CauseDetail, CtEntry, DropQuery, HostSnapshot, PacketAtHop, Rule, RuleEvidence, RewriteQuery, Ruleset,
} from './types.js';
import { type MatchContext, failedConditions, ruleFits } from './match.js';
import { type Delta, type Verdict, walkHook } from './walk.js';
import { inPrefix } from './prefix.js';
import { forwardingOff, routeProblem } from './settings.js';

/** Identity of a rule across two snapshots: nft handles are stable, iptables rules are known by their text. */
function ruleKeys(rs: Ruleset): Map<Rule, string> {
  const seen = new Map<string, number>();
  const keys = new Map<Rule, string>();
  for (const r of rs.rules) {
    const base = `${r.source}|${r.family}|${r.table}|${r.chain}|${r.source === 'nft' ? r.id : r.text}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    keys.set(r, `${base}#${n}`);
  }
  return keys;
}

/** packets(after) - packets(before) per rule of `after`; a rule new since `before` counts from 0. */
export function counterDelta(before: Ruleset, after: Ruleset): Delta {
  const prior = new Map<string, number>();
  for (const [rule, key] of ruleKeys(before)) prior.set(key, rule.packets);
  const keys = ruleKeys(after);
  return (rule) => rule.packets - (prior.get(keys.get(rule) ?? '') ?? 0);
}

function evidence(path: Rule[], delta: Delta, conntrack: CtEntry[], sysctls: Record<string, string>): Cause['evidence'] {
  const counters: RuleEvidence[] = path.map((rule) => ({ rule, packetsDelta: delta(rule) }));
  return { counters, conntrack, sysctls };
}

function cause(kind: Cause['kind'], detail: CauseDetail, ev: Cause['evidence']): Cause {
  return { kind, detail, evidence: ev };
}

const tupleKey = (e: CtEntry): string => `${e.family}|${e.proto}|${JSON.stringify(e.original)}`;

/**
 * The flow's own entry among several that fit (an ICMP flow's echo id is not in the report, so a
 * ping made before the trace to the same host fits too): the one made during the trace, when
 * exactly one was; none when that does not settle it (`ambiguous`).
 */
export function ownEntry(candidates: CtEntry[], before: CtEntry[]): { entry?: CtEntry; ambiguous: boolean } {
  if (candidates.length <= 1) return { entry: candidates[0], ambiguous: false };
  const old = new Set(before.map(tupleKey));
  const fresh = candidates.filter((e) => !old.has(tupleKey(e)));
  return fresh.length === 1 ? { entry: fresh[0], ambiguous: false } : { ambiguous: true };
}

/** A reply arriving at the host is de-NATed by conntrack before it is forwarded. */
export function undoNat(p: PacketAtHop, entries: CtEntry[], before: CtEntry[] = []): { packet: PacketAtHop; entry?: CtEntry; fits: CtEntry[] } {
  const fits = entries.filter((e) => e.family === p.family && e.proto === p.proto && e.reply.src === p.src && e.reply.dst === p.dst &&
    (p.dport === undefined || e.reply.dport === undefined || e.reply.dport === p.dport) &&
    (p.icmpId === undefined || e.reply.id === undefined || e.reply.id === p.icmpId));
  const entry = ownEntry(fits, before).entry ?? fits[0];
  if (!entry) return { packet: p, fits };
  const packet = { ...p, dst: entry.original.src };
  if (p.dport !== undefined && entry.original.sport !== undefined) packet.dport = entry.original.sport;
  return { packet, entry, fits };
}

function firstBlocking(verdicts: Verdict[]): Verdict | undefined {
  return verdicts.find((v) => v.kind === 'drop' || v.kind === 'reject' || v.kind === 'policy');
}

function policyCause(chain: Chain, q: DropQuery, prior: Chain | undefined, ev: Cause['evidence']): Cause {
  if (chain.policyPackets === undefined) return cause('policy', { type: 'chain-policy', chain }, ev);
  const policyDelta = chain.policyPackets - (prior?.policyPackets ?? 0);
  if (policyDelta < q.count) {
    return cause('unknown', { type: 'not-known', reason: `the policy drop of chain ${chain.name} would stop them, but it counted ${policyDelta} of their ${q.count} packets` }, ev);
  }
  return cause('policy', { type: 'chain-policy', chain, policyDelta }, ev);
}

function blockingCause(v: Verdict, q: DropQuery, rs: Ruleset, ctx: MatchContext, delta: Delta, snap: HostSnapshot, before: (c: Chain) => Chain | undefined): Cause {
  const ev = evidence(v.path, delta, snap.conntrack, {});
  if (v.kind === 'policy') return policyCause(v.chain, q, before(v.chain), ev);
  const rule = v.rule as Rule;
  const others = rs.rules.filter((r) => r !== rule && (r.target.kind === 'drop' || r.target.kind === 'reject') &&
    ruleFits(r, ctx) !== 'no' && delta(r) >= q.count);
  if (v.byCounters && others.length > 0) {
    const candidates = [rule, ...others].map((r) => ({ rule: r, packetsDelta: delta(r) }));
    return cause('rule', { type: 'ambiguous', candidates }, ev);
  }
  if (delta(rule) < q.count) {
    // The rule fits on paper but did not count these packets: something we do not model stopped them.
    return cause('unknown', { type: 'not-known', reason: `the rule that fits them, \`${rule.text}\`, counted ${delta(rule)} of their ${q.count} packets` }, ev);
  }
  if (rule.target.kind === 'reject') {
    return cause('rule', { type: 'reject-rule', rule, packetsDelta: delta(rule), rejectWith: rule.target.with }, ev);
  }
  return cause('rule', { type: 'drop-rule', rule, packetsDelta: delta(rule) }, ev);
}

/**
 * Why the packets of a flow went missing after `q.inIface`. Follows them through the host
 * the way the kernel does: prerouting, the routing decision (forwarding, rp_filter, the
 * route), forward (or input), postrouting. The first thing that stops them is the cause.
 */
export function explainDrop(q: DropQuery, before: HostSnapshot, after: HostSnapshot): Cause {
  const rs = after.ruleset;
  const delta = counterDelta(before.ruleset, rs);
  const priorChain = (c: Chain): Chain | undefined => before.ruleset.chains.find((b) =>
    b.source === c.source && b.family === c.family && b.table === c.table && b.name === c.name);
  let packet = q.packet;
  if (q.leftHost && q.outIface) {
    // Seen leaving by the uplink: every hook of this host was behind them (a capture on an
    // outgoing interface sees packets after POSTROUTING), so nothing here stopped them.
    return cause('remote', { type: 'left-host', outIface: q.outIface }, { counters: [], conntrack: flowEntries(packet, after.conntrack), sysctls: {} });
  }
  const ctx = (p: PacketAtHop, iif?: string, oif?: string): MatchContext => ({ packet: p, iif, oif, ctState: q.ctState });
  const stop = (verdicts: Verdict[], c: MatchContext): Cause | undefined => {
    const v = firstBlocking(verdicts);
    return v ? blockingCause(v, q, rs, c, delta, after, priorChain) : undefined;
  };
  const pre = stop(walkHook(rs, 'prerouting', ctx(packet, q.inIface), delta, q.count), ctx(packet, q.inIface));
  if (pre) return pre;
  if (q.ctState !== 'NEW') packet = undoNat(packet, after.conntrack, before.conntrack).packet;
  const off = q.local ? undefined : forwardingOff(after, packet.family, q.inIface);
  if (off) return cause('sysctl', off, { counters: [], conntrack: [], sysctls: { [off.sysctl]: off.value } });
  // The input route lookup (and its reverse-path check) is made for local delivery too.
  const route = routeProblem(after, packet, q.inIface);
  if (route) return route;
  const hook = q.local ? 'input' : 'forward';
  const oif = q.local ? undefined : q.outIface;
  const fwd = stop(walkHook(rs, hook, ctx(packet, q.inIface, oif), delta, q.count), ctx(packet, q.inIface, oif));
  if (fwd) return fwd;
  if (!q.local && q.outIface) {
    const post = stop(walkHook(rs, 'postrouting', ctx(packet, undefined, q.outIface), delta, q.count), ctx(packet, undefined, q.outIface));
    if (post) return post;
  }
  const neighbour = after.neighbours.find((n) => n.dev === q.outIface && n.state.some((s) => s === 'FAILED' || s === 'INCOMPLETE'));
  if (neighbour) return cause('neighbour', { type: 'neighbour-failed', neighbour }, { counters: [], conntrack: [], sysctls: {} });
  return cause('unknown', { type: 'not-known', reason: 'no rule or setting on this host counted these packets' },
    { counters: [], conntrack: [], sysctls: {} });
}

/** Conntrack entries whose original tuple is this packet's flow. */
export function flowEntries(p: PacketAtHop, entries: CtEntry[]): CtEntry[] {
  return entries.filter((e) => e.family === p.family && e.proto === p.proto && e.original.src === p.src && e.original.dst === p.dst &&
    (p.sport === undefined || e.original.sport === p.sport) && (p.dport === undefined || e.original.dport === p.dport) &&
    (p.icmpId === undefined || e.original.id === undefined || e.original.id === p.icmpId));
}

/** Which rule made a rewrite seen between two hops, and the conntrack entry that holds it. */
export function explainRewrite(q: RewriteQuery, before: HostSnapshot, after: HostSnapshot): Cause {
  const back = undoNat(q.before, after.conntrack, before.conntrack);
  if (back.entry) return explainReverse(q, back.entry, { ...ownEntry(back.fits, before.conntrack), fits: back.fits }, before, after);
  const rs = after.ruleset;
  const delta = counterDelta(before.ruleset, rs);
  const dnat = q.before.dst !== q.after.dst || q.before.dport !== q.after.dport;
  const hook = dnat ? 'prerouting' : 'postrouting';
  const ctx: MatchContext = dnat
    ? { packet: q.before, iif: q.inIface, ctState: 'NEW' }
    : { packet: q.before, oif: q.outIface, ctState: 'NEW' };
  const nat = walkHook(rs, hook, ctx, delta, 1).find((v) => v.kind === 'nat');
  const own = ownEntry(flowEntries(q.before, after.conntrack).filter((e) =>
    dnat ? e.reply.src === q.after.dst : e.reply.dst === q.after.src), before.conntrack);
  const entry = own.entry;
  const ev = { counters: nat ? nat.path.map((rule) => ({ rule, packetsDelta: delta(rule) })) : [], conntrack: entry ? [entry] : [], sysctls: {} };
  if (!nat?.rule) return cause('unknown', { type: 'not-known', reason: `no ${dnat ? 'DNAT' : 'SNAT'} rule fits this packet` }, ev);
  return cause('rule', { type: 'nat-rule', rule: nat.rule, packetsDelta: delta(nat.rule), ...(entry ? { conntrack: entry } : {}), ...(own.ambiguous ? { conntrackAmbiguous: true } : {}) }, ev);
}

/**
 * A packet left `outIface` with its private source: which source-NAT rule would have been
 * needed and why none applied (no rule for the subnet, or one that excludes the interface).
 */
export function explainMissingSnat(packet: PacketAtHop, outIface: string, before: HostSnapshot, after: HostSnapshot): Cause {
  const rs = after.ruleset;
  const delta = counterDelta(before.ruleset, rs);
  const ctx: MatchContext = { packet, oif: outIface, ctState: 'NEW' };
  const nat = walkHook(rs, 'postrouting', ctx, delta, 1).find((v) => v.kind === 'nat' && v.rule &&
    (v.rule.target.kind === 'masquerade' || v.rule.target.kind === 'snat'));
  if (nat?.rule) return explainRewrite({ before: packet, after: packet, inIface: '', outIface }, before, after);
  const nearMisses = rs.rules
    .filter((r) => r.family === packet.family && (r.target.kind === 'masquerade' || r.target.kind === 'snat'))
    .map((rule) => ({ rule, failed: failedConditions(rule, ctx) }))
    .filter((m) => m.failed.length > 0);
  const network = after.docker?.networks.find((n) => n.subnets.some((s) => inPrefix(packet.src, s, packet.family)));
  return cause('rule', { type: 'missing-snat', outIface, src: packet.src, nearMisses, ...(network ? { network } : {}) },
    { counters: [], conntrack: flowEntries(packet, after.conntrack), sysctls: {} });
}

/** The flow's first packet as conntrack recorded it (original direction). */
function originalPacket(e: CtEntry): PacketAtHop {
  const o = e.original;
  return {
    family: e.family, src: o.src, dst: o.dst, proto: e.proto,
    ...(o.sport !== undefined ? { sport: o.sport } : {}), ...(o.dport !== undefined ? { dport: o.dport } : {}),
    ...(o.type !== undefined ? { icmpType: o.type } : {}), ...(o.id !== undefined ? { icmpId: o.id } : {}),
  };
}

/**
 * A reply rewritten on its way back: no rule runs for it, conntrack undoes the mapping made
 * for the first packet. Name that mapping's rule, found with the original tuple: a source NAT
 * was made leaving by the interface the reply came in on, a destination NAT arriving by the
 * one the reply leaves by.
 */
function explainReverse(q: RewriteQuery, entry: CtEntry, own: { entry?: CtEntry; ambiguous: boolean; fits: CtEntry[] }, before: HostSnapshot, after: HostSnapshot): Cause {
  const rs = after.ruleset;
  const delta = counterDelta(before.ruleset, rs);
  const snat = entry.original.src !== entry.reply.dst;
  const packet = originalPacket(entry);
  const ctx: MatchContext = snat ? { packet, oif: q.inIface, ctState: 'NEW' } : { packet, iif: q.outIface, ctState: 'NEW' };
  const nat = walkHook(rs, snat ? 'postrouting' : 'prerouting', ctx, () => 1, 1).find((v) => v.kind === 'nat');
  const ev = { counters: nat ? nat.path.map((rule) => ({ rule, packetsDelta: delta(rule) })) : [], conntrack: own.entry ? [own.entry] : own.fits, sysctls: {} };
  if (!nat?.rule) return cause('unknown', { type: 'not-known', reason: `conntrack rewrote the reply, but no rule on this host fits the flow's first packet` }, ev);
  return cause('rule', { type: 'nat-rule', rule: nat.rule, packetsDelta: delta(nat.rule), ...(own.entry ? { conntrack: own.entry } : {}), ...(own.ambiguous ? { conntrackAmbiguous: true } : {}), reverse: true }, ev);
}
