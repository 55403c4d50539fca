import type { Hop } from '../model.js';
import { addrsOf, type Link } from './links.js';
import type { Netns } from './netns.js';

/** A hop of the path: an interface, in the namespace it is captured in. */
export function hopOf(name: string, role: Hop['role'], ns: Netns, link: Link): Hop {
  return { name, role, netns: ns.label, iface: link.name, addrs: addrsOf(link), mtu: link.mtu };
}
