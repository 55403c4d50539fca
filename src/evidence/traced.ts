// --trace-rules' answer for one flow: the kernel's own trace of its packets names the rule or
// policy that dropped them, exactly, without counters shared with other traffic. Pure.
import type { TraceEvent } from './trace-rules.js';
import { ruleOfEvent } from './trace-rules.js';
import type { Cause, HostSnapshot, PacketAtHop } from './types.js';

/** Trace ids of the packets the trace saw with this source and destination. */
function idsOf(events: TraceEvent[], p: PacketAtHop): Set<string> {
  const ip = p.family === 4 ? 'ip' : 'ip6';
  const ids = new Set<string>();
  for (const e of events) {
    if (e.kind !== 'packet') continue;
    if (e.text.includes(`${ip} saddr ${p.src} `) && e.text.includes(`${ip} daddr ${p.dst} `)) ids.add(e.id);
  }
  return ids;
}

/**
 * The drop --trace-rules saw for these packets, as a cause naming the rule (or the chain
 * policy) of the snapshot; undefined when the trace saw none of them dropped by a rule.
 */
export function tracedDrop(events: TraceEvent[], p: PacketAtHop, after: HostSnapshot): Cause | undefined {
  const ids = idsOf(events, p);
  const drops = events.filter((e) => ids.has(e.id) && (e.verdict === 'drop' || (e.kind === 'rule' && /\breject\b/.test(e.text))));
  const first = drops[0];
  if (!first) return undefined;
  const count = new Set(drops.map((e) => e.id)).size;
  const evidence = { counters: [], conntrack: [], sysctls: {} };
  if (first.kind === 'policy') {
    const chain = after.ruleset.chains.find((c) => c.table === first.table && c.name === first.chain && c.source !== 'nft') ??
      after.ruleset.chains.find((c) => c.table === first.table && c.name === first.chain);
    return chain ? { kind: 'policy', detail: { type: 'chain-policy', chain, policyDelta: count, traced: true }, evidence } : undefined;
  }
  const rule = ruleOfEvent(first, after.ruleset);
  if (!rule) return undefined;
  if (rule.target.kind === 'reject') return { kind: 'rule', detail: { type: 'reject-rule', rule, packetsDelta: count, rejectWith: rule.target.with, traced: true }, evidence };
  return { kind: 'rule', detail: { type: 'drop-rule', rule, packetsDelta: count, traced: true }, evidence };
}
