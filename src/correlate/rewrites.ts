import { REWRITE_FIELDS, type FieldValue, type IpPacket, type L4, type RewriteField } from '../model.js';

// How a rewrite is detected, written once: the report's rewrites (account.ts) and the TUI
// timeline's marks both ask here. Hot path: a bit mask, no allocation per packet.

/** Bit i set: REWRITE_FIELDS[i] differs between the two sightings of the same packet. */
export function rewrittenFields(a: IpPacket, b: IpPacket): number {
  let mask = 0;
  if (a.src !== b.src) mask |= 1;
  if (a.dst !== b.dst) mask |= 2;
  const la = a.l4;
  const lb = b.l4;
  if ((la.kind === 'tcp' || la.kind === 'udp') && (lb.kind === 'tcp' || lb.kind === 'udp')) {
    if (la.sport !== lb.sport) mask |= 4;
    if (la.dport !== lb.dport) mask |= 8;
  } else {
    const ida = rewritable(la).id;
    const idb = rewritable(lb).id;
    if (ida !== undefined && idb !== undefined && ida !== idb) mask |= 16;
  }
  return mask;
}

/** The ports and echo id a rewrite can change, as any transport header has them (undefined where it has none). */
interface Rewritable {
  readonly kind: L4['kind'];
  readonly sport?: number;
  readonly dport?: number;
  readonly id?: number;
}

const rewritable = (l4: L4): Rewritable => l4;

/** A rewrite field's value in a packet (undefined where the packet has no such field). */
export function fieldValue(ip: IpPacket, field: RewriteField): FieldValue | undefined {
  const l4 = rewritable(ip.l4);
  switch (field) {
    case 'src': return ip.src;
    case 'dst': return ip.dst;
    case 'sport': return l4.sport;
    case 'dport': return l4.dport;
    case 'icmp-id': return l4.id;
  }
}

/** The fields of a mask from rewrittenFields, in REWRITE_FIELDS order. */
export function fieldsOf(mask: number): RewriteField[] {
  return REWRITE_FIELDS.filter((_, i) => (mask & (1 << i)) !== 0);
}

/** The index of a field in REWRITE_FIELDS: the bit it has in a mask. */
export const fieldIndex = (field: RewriteField): number => REWRITE_FIELDS.indexOf(field);
