// The words of a Cause: one `why:` line, plain words first, the rule or setting verbatim
// after. Kept apart from attribution so render/ can call it (or replace it) at output time.
import type { Cause, CauseDetail, Chain, Condition, CtEntry, CtTuple, NearMiss, RelayEnd, RouteProbe, Rule } from './types.js';
import { icmpErrorName } from '../explain/icmp.js';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function where(rule: Rule): string {
  const how = rule.source === 'nft' ? 'nftables' : rule.source;
  return `chain ${rule.chain} of table ${rule.table} (${how})`;
}

function verbatim(rule: Rule): string {
  return `\`${rule.text}\``;
}

function chainText(c: Chain): string {
  return c.source === 'nft' ? `\`chain ${c.name} { policy ${c.policy}; }\`` : `\`:${c.name} ${(c.policy ?? 'accept').toUpperCase()}\``;
}

function tupleText(t: CtTuple): string {
  const port = (addr: string, p: number | undefined): string => (p === undefined ? addr : `${addr}:${p}`);
  const id = t.id !== undefined ? ` id ${t.id}` : '';
  return `${port(t.src, t.sport)} -> ${port(t.dst, t.dport)}${id}`;
}

export function conntrackText(e: CtEntry): string {
  return `conntrack ${tupleText(e.original)} <-> ${tupleText(e.reply)}`;
}

export function conditionText(c: Condition): string {
  const not = 'neg' in c && c.neg ? 'not ' : '';
  switch (c.field) {
    case 'saddr': return `source ${not}in ${c.prefix}`;
    case 'daddr': return `destination ${not}in ${c.prefix}`;
    case 'iif': return `arriving ${not}on ${c.name}`;
    case 'oif': return `leaving ${not}by ${c.name}`;
    case 'proto': return `protocol ${not}${c.proto}`;
    case 'sport': case 'dport': return `${c.field === 'sport' ? 'source' : 'destination'} port ${not}${c.from === c.to ? c.from : `${c.from}-${c.to}`}`;
    case 'ctstate': return `conntrack state ${not}${c.states.join(',')}`;
    case 'icmptype': return `ICMP type ${not}${c.type}`;
    case 'unknown': return c.text;
  }
}

function nearMissText(m: NearMiss): string {
  return `${verbatim(m.rule)} needs ${m.failed.map(conditionText).join(' and ')}`;
}

function probeText(p: RouteProbe): string {
  const q = `ip route get ${p.dst}${p.from ? ` from ${p.from}` : ''}${p.iif ? ` iif ${p.iif}` : ''}`;
  return `\`${q}\`: ${p.error ?? (p.type ? `${p.type} route` : `by ${p.dev ?? '?'}`)}`;
}

function hostIcmpText(d: Extract<CauseDetail, { type: 'host-icmp' }>): string {
  const ttl = d.icmp.v6 ? 'hop limit' : 'TTL';
  switch (d.reason) {
    case 'ttl-expired':
      return `the Docker host answered: ${d.icmp.v6 ? 'hop limit' : 'time to live'} exceeded (${ttl} 1 or less at ${d.at}: too little to forward them)`;
    case 'no-route':
      return `the Docker host answered: no route (${icmpErrorName(d.icmp.v6, d.icmp.type, d.icmp.code)}): ${d.probe ? probeText(d.probe) : 'no route'}`;
    case 'frag-needed': {
      const what = d.icmp.v6 ? 'packet too big' : 'fragmentation needed';
      const dontFragment = d.icmp.v6 ? 'IPv6 is never fragmented on the way' : 'they have don\'t-fragment set';
      const mtu = d.outIface && d.ifaceMtu === d.mtu ? `the MTU ${d.mtu} of ${d.outIface}`
        : `the MTU ${d.mtu} the error names${d.outIface ? ` on the way out by ${d.outIface}${d.ifaceMtu === undefined ? '' : ` (whose own MTU is ${d.ifaceMtu})`}` : ''}`;
      return `the Docker host answered: ${what} (MTU ${d.mtu}): the packets are larger than ${mtu} and ${dontFragment}`;
    }
  }
}

function endText(e: RelayEnd): string {
  const at = (addr: string, port: number): string => (addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`);
  return `${at(e.src, e.sport)} -> ${at(e.dst, e.dport)}`;
}

function relayText(d: Extract<CauseDetail, { type: 'relay' }>): string {
  const who = d.pid !== undefined ? `${d.process ?? 'a process'} (pid ${d.pid})` : `the process listening on port ${d.front.dport}`;
  const delay = d.delayUs < 1000 ? `${d.delayUs} us` : `${(d.delayUs / 1000).toFixed(1)} ms`;
  return `relayed by ${who}: ${endText(d.front)} became ${endText(d.back)} (the same first ${d.bytes} bytes, ${delay} later)`;
}

/** The plain-language line for a cause (without the "why: " prefix). */
export function whyText(cause: Cause): string {
  const d = cause.detail;
  switch (d.type) {
    case 'drop-rule':
      if (d.traced) return `dropped by a rule in ${where(d.rule)}, seen dropping ${plural(d.packetsDelta, 'packet')} of this flow by --trace-rules: ${verbatim(d.rule)}`;
      return `dropped by a rule in ${where(d.rule)}, which counted ${plural(d.packetsDelta, 'packet')} during the trace: ${verbatim(d.rule)}`;
    case 'reject-rule':
      if (d.traced) return `rejected (${d.rejectWith}) by a rule in ${where(d.rule)}, seen rejecting ${plural(d.packetsDelta, 'packet')} of this flow by --trace-rules: ${verbatim(d.rule)}`;
      return `rejected (${d.rejectWith}) by a rule in ${where(d.rule)}, which counted ${plural(d.packetsDelta, 'packet')} during the trace: ${verbatim(d.rule)}`;
    case 'ambiguous':
      return `dropped by one of ${d.candidates.length} rules that fit these packets and counted packets during the trace (ambiguous): ${d.candidates.map((c) => `${verbatim(c.rule)} (${c.packetsDelta})`).join(', ')}`;
    case 'chain-policy':
      if (d.traced) return `dropped by the policy of chain ${d.chain.name} of table ${d.chain.table}, seen dropping ${plural(d.policyDelta ?? 0, 'packet')} of this flow by --trace-rules: no rule accepted them: ${chainText(d.chain)}`;
      return `dropped by the policy of chain ${d.chain.name} of table ${d.chain.table}${d.policyDelta === undefined ? '' : `, which counted ${plural(d.policyDelta, 'packet')} during the trace`}: no rule accepted them: ${chainText(d.chain)}`;
    case 'forwarding-off':
      return `the host does not forward ${d.sysctl.startsWith('net.ipv6') ? 'IPv6' : 'IPv4'} packets: ${d.sysctl} = ${d.value}`;
    case 'rp-filter':
      return `reverse-path filtering drops them: the route back to their source does not leave by ${d.iif}${d.replyDev ? ` (it leaves by ${d.replyDev})` : ''}: ${d.sysctl} = ${d.value}`;
    case 'no-route':
      return `no route for them: ${probeText(d.probe)}`;
    case 'neighbour-failed':
      return `the next hop ${d.neighbour.dst} on ${d.neighbour.dev} does not answer address resolution: neighbour ${d.neighbour.state.join(',')}`;
    case 'left-host':
      return `no rule or setting here accounts for it: the packets left this host by ${d.outIface}`;
    case 'nat-rule': {
      const entry = d.conntrack ? `; ${conntrackText(d.conntrack)}`
        : d.conntrackAmbiguous ? '; several conntrack entries fit it, none known to be this flow\'s' : undefined;
      if (d.reverse) {
        const undone = d.rule.target.kind === 'dnat' ? 'destination' : 'source';
        return `reply rewritten by conntrack, undoing the ${undone} NAT made by a rule in ${where(d.rule)}: ${verbatim(d.rule)}${entry ?? ''}`;
      }
      const what = d.rule.target.kind === 'dnat' ? 'destination' : 'source';
      return `${what} rewritten by a rule in ${where(d.rule)}: ${verbatim(d.rule)}${entry ?? '; no conntrack entry of it was left'}`;
    }
    case 'missing-snat': {
      const net = d.network && d.network.masquerade === false
        ? `; Docker network ${d.network.name} has com.docker.network.bridge.enable_ip_masquerade=false` : '';
      const near = d.nearMisses.length === 0 ? 'there is no source NAT rule at all' : d.nearMisses.map(nearMissText).join('; ');
      return `no source NAT rule covers ${d.src} leaving by ${d.outIface}: ${near}${net}`;
    }
    case 'host-icmp':
      return hostIcmpText(d);
    case 'relay':
      return relayText(d);
    case 'not-known':
      return `the cause is not known: ${d.reason}`;
  }
}

export function whyLine(cause: Cause): string {
  return `why: ${whyText(cause)}`;
}
