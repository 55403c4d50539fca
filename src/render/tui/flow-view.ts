import type { FlowReport, Rewrite } from '../../model.js';
import { natName } from '../nat.js';
import { endpointText, fieldText } from '../values.js';
import type { Segment } from './text.js';

/** A flow as the list shows it; the store reuses the object while nothing in it changed. */
export interface FlowRow {
  flow: FlowReport;
  /** The trace has ended: the verdict is final. */
  final: boolean;
  /** The flow changed within the last second while the trace runs: packets may be in flight. */
  active: boolean;
}

/** The verdict as it stands now, as a symbol and words (never colour alone). */
export function verdictSegment(row: FlowRow): Segment {
  const { flow, final } = row;
  // A request whose answer has not been matched yet is not "no reply" while packets still flow.
  if (!final && row.active && flow.verdict === 'no-reply') return { text: '◌ in progress', tone: 'accent' };
  const between = flow.dropBetween ? ` between ${flow.dropBetween[0]} and ${flow.dropBetween[1]}` : '';
  switch (flow.verdict) {
    case 'ok':
      return { text: '✓ ok', tone: 'ok' };
    case 'no-reply':
      return { text: final ? '… no reply' : '… no reply yet', tone: 'warn' };
    case 'dropped':
      return { text: `✗ dropped${between}`, tone: 'bad' };
    case 'rejected':
      return { text: '✗ rejected', tone: 'bad' };
    case 'reply-dropped':
      return { text: `✗ reply dropped${between}`, tone: 'bad' };
    default:
      return { text: `? ${String(flow.verdict)}`, tone: 'warn' };
  }
}

/** "198.18.0.2 → 203.0.113.9" or with ports. */
export function endpointsText(flow: FlowReport): string {
  return `${endpointText(flow.initiator)} → ${endpointText(flow.responder)}`;
}

/**
 * The rewrites of one hop pair and direction as one phrase, named as the text report names
 * them: "SNAT 198.18.0.2 -> 203.0.113.1 @ docker0→eth0"; an address and port rewritten at the
 * same hop pair are joined, and an ICMP id rewritten with them follows.
 */
export function rewritePhrases(rewrites: Rewrite[]): string[] {
  const groups = new Map<string, Rewrite[]>();
  for (const rewrite of rewrites) {
    const key = `${rewrite.direction}|${rewrite.between[0]}|${rewrite.between[1]}|${natName(rewrite)}`;
    const group = groups.get(key);
    if (group) group.push(rewrite);
    else groups.set(key, [rewrite]);
  }
  return [...groups.values()].map(phrase);
}

function phrase(group: Rewrite[]): string {
  const first = group[0]!;
  const addr = group.find((r) => r.field === 'src' || r.field === 'dst');
  const port = group.find((r) => r.field === 'sport' || r.field === 'dport');
  const icmpId = group.find((r) => r.field === 'icmp-id');
  const id = icmpId ? `ICMP id ${icmpId.from} -> ${icmpId.to}` : '';
  const [addrFrom, addrTo] = addr ? [fieldText(addr.field, addr.from), fieldText(addr.field, addr.to)] : [];
  let change: string;
  if (addr && port) change = `${addrFrom}:${port.from} -> ${addrTo}:${port.to}`;
  else if (addr) change = `${addrFrom} -> ${addrTo}`;
  else if (port) change = `port ${port.from} -> ${port.to}`;
  else return `${natName(first)} ${id} @ ${first.between[0]}→${first.between[1]}`;
  // Where it happened comes before the ICMP id, so a cut line still says where.
  return `${natName(first)} ${change} @ ${first.between[0]}→${first.between[1]}${id ? `, ${id}` : ''}`;
}

/** The request-direction rewrites first: that is the NAT the user asks about. */
export function mainRewrite(flow: FlowReport): string | undefined {
  const request = flow.rewrites.filter((r) => r.direction === 'request');
  return rewritePhrases(request.length > 0 ? request : flow.rewrites)[0];
}

/**
 * The filter typed after "/": every word must match the protocol, an endpoint, a rewritten
 * address, or a hop name in the verdict (so "eth0" finds flows dropped there).
 */
export function matchesFilter(flow: FlowReport, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const haystack = [
    flow.proto,
    endpointText(flow.initiator),
    endpointText(flow.responder),
    ...flow.rewrites.flatMap((r) => [fieldText(r.field, r.from), fieldText(r.field, r.to)]),
    ...(flow.dropBetween ?? []),
    flow.verdict,
  ]
    .join(' ')
    .toLowerCase();
  return words.every((word) => haystack.includes(word));
}
