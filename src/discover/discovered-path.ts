// The discovered path as a value: what path.ts finds and child-path.ts completes (its own
// module, so that neither imports the other).
import type { Hop } from '../model.js';
import type { DefaultRoute, RouteChoice } from './links.js';
import type { NatRules } from './nat.js';
import type { Netns } from './netns.js';
import type { ResolvedTarget } from './target.js';
import type { PathFact } from './macvlan.js';

/** How the traced namespace reaches the world. */
export type PathMode = 'bridge' | 'veth' | 'macvlan' | 'ipvlan' | 'host' | 'none';

/** The discovered path: hops in path order, where each is captured, and what was found on the way. */
export interface DiscoveredPath {
  target: ResolvedTarget;
  mode: PathMode;
  hops: Hop[];
  /** The namespace each hop's interface lives in, same order as hops. */
  where: Netns[];
  destination?: string;
  /** The route the host takes to the destination (absent for host/none mode). */
  route?: RouteChoice;
  /** The route inside the container. */
  containerRoute?: RouteChoice;
  /** Without a destination: the host's default routes of both families. */
  defaultRoutes?: DefaultRoute[];
  nat: NatRules;
  /** The traced side's own addresses and subnets, for capture filters and NAT rules. */
  addrs: string[];
  subnets: string[];
  /** Addresses of the uplink (the SNAT'd form of the traced side's packets). */
  uplinkAddrs: string[];
  notes: string[];
  /** What discovery established about the path, as values (worded by describeFact). */
  facts: PathFact[];
}
