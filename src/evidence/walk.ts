// Follows a packet through the base chains of one hook the way netfilter does: chains in
// priority order, rules in order, jumps and gotos into user chains, RETURN, the policy at
// the end. Chain names are never interpreted (Docker renames its chains between versions).
import type { Chain, Hook, Rule, Ruleset, Target } from './types.js';
import { type MatchContext, ruleFits } from './match.js';

export type Delta = (rule: Rule) => number;

export interface Verdict {
  /** 'policy' when the packet fell off the end of a base chain whose policy is drop. */
  kind: 'accept' | 'drop' | 'reject' | 'policy' | 'nat';
  rule?: Rule;
  chain: Chain;
  /** True when the deciding rule's fit rested on its counters, not on its conditions. */
  byCounters: boolean;
  /** Every rule the packet matched on the way, in order (jumps included). */
  path: Rule[];
}

const MAX_DEPTH = 64;

function sameTable(a: { source: string; family: number; table: string }, b: Chain): boolean {
  return a.source === b.source && a.family === b.family && a.table === b.table;
}

type Step = { end: 'return' } | { end: 'terminal'; rule: Rule; target: Target; byCounters: boolean };

function walkChain(rs: Ruleset, base: Chain, name: string, ctx: MatchContext, delta: Delta, count: number, path: Rule[], depth: number): Step {
  if (depth > MAX_DEPTH) return { end: 'return' };
  for (const rule of rs.rules) {
    if (rule.chain !== name || !sameTable(rule, base)) continue;
    const fit = ruleFits(rule, ctx);
    // A condition we cannot read is settled by the counters: did the rule count our packets?
    if (fit === 'no' || (fit === 'unknown' && delta(rule) < count)) continue;
    path.push(rule);
    const t = rule.target;
    if (t.kind === 'return') return { end: 'return' };
    if (t.kind === 'jump' || t.kind === 'goto') {
      const inner = walkChain(rs, base, t.chain, ctx, delta, count, path, depth + 1);
      if (inner.end === 'terminal' || t.kind === 'goto') return inner;
      continue;
    }
    if (t.kind === 'none' || t.kind === 'other') continue;
    return { end: 'terminal', rule, target: t, byCounters: fit === 'unknown' };
  }
  return { end: 'return' };
}

/** The base chains of a hook for the packet's family, in the order netfilter runs them. */
export function baseChains(rs: Ruleset, hook: Hook, family: number, types?: string[]): Chain[] {
  return rs.chains
    .filter((c) => c.hook === hook && c.family === family && (!types || types.includes(c.type ?? '')))
    .sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0));
}

/** One base chain's verdict on the packet. */
export function walkBase(rs: Ruleset, base: Chain, ctx: MatchContext, delta: Delta, count: number): Verdict {
  const path: Rule[] = [];
  const step = walkChain(rs, base, base.name, ctx, delta, count, path, 0);
  if (step.end === 'return') return { kind: base.policy === 'drop' ? 'policy' : 'accept', chain: base, byCounters: false, path };
  const k = step.target.kind;
  const kind = k === 'drop' ? 'drop' : k === 'reject' ? 'reject' : k === 'accept' ? 'accept' : 'nat';
  return { kind, rule: step.rule, chain: base, byCounters: step.byCounters, path };
}

/**
 * The hook's verdict: the first base chain that drops or rejects, else the last accept.
 * An accept in one base chain does not stop the next (nft and iptables tables alike);
 * nat chains see only the first packet of a connection.
 */
export function walkHook(rs: Ruleset, hook: Hook, ctx: MatchContext, delta: Delta, count: number): Verdict[] {
  const chains = baseChains(rs, hook, ctx.packet.family).filter((c) => c.type !== 'nat' || ctx.ctState === 'NEW');
  const verdicts: Verdict[] = [];
  for (const chain of chains) {
    const v = walkBase(rs, chain, ctx, delta, count);
    verdicts.push(v);
    if (v.kind === 'drop' || v.kind === 'reject' || v.kind === 'policy') break;
  }
  return verdicts;
}
