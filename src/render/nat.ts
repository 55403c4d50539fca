import type { Rewrite } from '../model.js';

/** The names NAT people give a rewrite, as the text report and the TUI both print them. */
export type NatName = 'SNAT' | 'DNAT' | 'un-SNAT' | 'un-DNAT';

/** SNAT/DNAT on the way out, the undoing of it on the way back (an ICMP id is only ever SNAT's). */
export function natName(rewrite: Pick<Rewrite, 'field' | 'direction'>): NatName {
  const source = rewrite.field === 'src' || rewrite.field === 'sport' || rewrite.field === 'icmp-id';
  if (rewrite.direction === 'request') return source ? 'SNAT' : 'DNAT';
  return rewrite.field === 'icmp-id' || !source ? 'un-SNAT' : 'un-DNAT';
}
