// Whether a rule's match fits a packet at a hook: 'yes', 'no', or 'unknown' when the rule
// has a condition we did not read (then its counters decide, see walk.ts).
import type { Condition, PacketAtHop, Rule } from './types.js';
import { inPrefix } from './prefix.js';

export type Fit = 'yes' | 'no' | 'unknown';

export interface MatchContext {
  packet: PacketAtHop;
  /** Undefined at hooks that have no such interface (no iif at output/postrouting). */
  iif?: string;
  oif?: string;
  ctState: string;
}

/** iptables' "+" (nft's "*") at the end of an interface name matches every name with that prefix. */
export function ifaceMatches(pattern: string, name: string): boolean {
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

function raw(c: Condition, ctx: MatchContext): boolean | undefined {
  const p = ctx.packet;
  switch (c.field) {
    case 'saddr': return inPrefix(p.src, c.prefix, p.family);
    case 'daddr': return inPrefix(p.dst, c.prefix, p.family);
    case 'iif': return ctx.iif === undefined ? undefined : ifaceMatches(c.name, ctx.iif);
    case 'oif': return ctx.oif === undefined ? undefined : ifaceMatches(c.name, ctx.oif);
    case 'proto': return p.proto === c.proto;
    case 'sport': return p.sport !== undefined && p.sport >= c.from && p.sport <= c.to;
    case 'dport': return p.dport !== undefined && p.dport >= c.from && p.dport <= c.to;
    case 'icmptype': return p.icmpType !== undefined && p.icmpType === c.type;
    case 'ctstate':
      // The virtual states SNAT/DNAT depend on the entry, which we do not model.
      if (c.states.some((s) => s === 'SNAT' || s === 'DNAT')) return undefined;
      return c.states.includes(ctx.ctState);
    case 'unknown': return undefined;
  }
}

export function conditionFits(c: Condition, ctx: MatchContext): Fit {
  const value = raw(c, ctx);
  if (value === undefined) return 'unknown';
  const neg = 'neg' in c && c.neg;
  return value !== neg ? 'yes' : 'no';
}

export function ruleFits(rule: Rule, ctx: MatchContext): Fit {
  let fit: Fit = 'yes';
  for (const c of rule.conditions) {
    const f = conditionFits(c, ctx);
    if (f === 'no') return 'no';
    if (f === 'unknown') fit = 'unknown';
  }
  return fit;
}

/** The conditions of `rule` that the packet fails: why a rule did not apply. */
export function failedConditions(rule: Rule, ctx: MatchContext): Condition[] {
  return rule.conditions.filter((c) => conditionFits(c, ctx) === 'no');
}
