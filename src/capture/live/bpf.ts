import type { Hop } from '../../model.js';

/** What is traced; turned into one kernel filter per hop so other traffic never reaches us. */
export interface FlowSelector {
  proto: 'icmp' | 'tcp' | 'udp' | 'any';
  destination?: string;
  port?: number;
  /** `watch`'s own pcap filter, ANDed in everywhere. */
  userFilter?: string;
}

export interface FilterContext {
  /** The traced side's addresses: what its packets carry before NAT. */
  addrs: string[];
  /** The uplink's addresses: what they carry after SNAT. */
  uplinkAddrs: string[];
  /** Published host ports, for inbound traffic before DNAT. */
  publishedPorts: { proto: string; port: number }[];
  /** Hops whose frames carry an 802.1Q tag (a trunk under a macvlan's VLAN parent). */
  vlanTagged?: string[];
  /** Hops captured only to tie docker-proxy's relays (the host's lo beside a bridged path). */
  relayOnly?: string[];
}

/**
 * Control messages of both families that can belong to a flow: ICMPv4, and ICMPv6 errors
 * (types 1-4) and echo (128, 129). ICMPv6 types 130 and up are MLD and neighbour discovery:
 * link chatter, never a flow of the traced container. `icmp6` matches only ICMPv6 that
 * follows the fixed header (or a fragment header), which leaves out MLD behind its hop-by-hop
 * header as well.
 */
const CONTROL = '(icmp or (icmp6 and icmp6[0] < 130))';
const LINK_CHATTER = '(icmp6 and icmp6[0] >= 130)';

/** "host a" or "(host a or host b)": one term that can be combined without more brackets. */
function anyOf(prefix: string, values: string[]): string {
  const terms = values.map((v) => `${prefix} ${v}`);
  return terms.length === 1 ? terms[0]! : `(${terms.join(' or ')})`;
}

/**
 * The filter for one hop. Inside the NAT (container, veth, bridge) every packet of the flow
 * carries the traced address. At the uplink it may carry the host's address instead (SNAT),
 * or still the traced address (no SNAT: a finding), so both are kept there; ICMP errors
 * about the flow are kept too, since they come from whoever dropped it.
 */
export function hopFilter(hop: Hop, selector: FlowSelector, context: FilterContext): string {
  const filter = untaggedFilter(hop, selector, context);
  // A tag carried in the frame moves every offset behind it: `vlan and` reads past it. Where
  // the kernel keeps the tag out of band, the frame is untagged to the filter: the first term.
  return context.vlanTagged?.includes(hop.name) ? `(${filter}) or (vlan and (${filter}))` : filter;
}

function untaggedFilter(hop: Hop, selector: FlowSelector, context: FilterContext): string {
  // The host's loopback, captured for docker-proxy's relays: the connections to published ports.
  if (context.relayOnly?.includes(hop.name)) {
    const ports = [...new Set(context.publishedPorts.filter((p) => p.proto === 'tcp').map((p) => String(p.port)))];
    return ports.length > 0 ? anyOf('tcp port', ports) : 'tcp';
  }
  const inside = hop.role !== 'uplink' || context.uplinkAddrs.length === 0;
  const own = context.addrs.length > 0 ? anyOf('host', context.addrs) : '(ip or ip6)';
  if (selector.proto === 'any') return watchFilter(inside, own, selector, context);
  const dest = selector.destination ? `host ${selector.destination}` : undefined;
  const toUplink = anyOf('dst host', context.uplinkAddrs);
  if (selector.proto === 'icmp') {
    if (inside) return `${own} and ${CONTROL}`;
    return `${CONTROL} and (${[dest, own, toUplink].filter(Boolean).join(' or ')})`;
  }
  const flow = [selector.proto, dest, selector.port ? `port ${selector.port}` : undefined].filter(Boolean).join(' and ');
  if (inside) return `${own} and ((${flow}) or ${CONTROL})`;
  return `(${flow}) or (${CONTROL} and (${[dest, toUplink].filter(Boolean).join(' or ')})) or (${own} and not ${LINK_CHATTER})`;
}

function watchFilter(inside: boolean, own: string, selector: FlowSelector, context: FilterContext): string {
  if (selector.userFilter) return inside ? `${own} and (${selector.userFilter})` : selector.userFilter;
  if (inside) return `${own} and not ${LINK_CHATTER}`;
  // After SNAT the container's packets carry the uplink's address: keep all of it, or its
  // outbound flows would seem to vanish at the uplink. Inbound ones come by published ports.
  const published = context.publishedPorts.map((p) => `(${p.proto} port ${p.port})`);
  return `(${[own, anyOf('host', context.uplinkAddrs), ...published].join(' or ')}) and not ${LINK_CHATTER}`;
}

/** Said in the notes: which packets each hop keeps. */
export function describeFilters(hops: Hop[], filters: string[]): string[] {
  return hops.map((hop, i) => `capture filter at ${hop.name}: ${filters[i]}`);
}
