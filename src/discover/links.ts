import { ipJson, type Netns } from './netns.js';
import { ipv4Value } from '../addresses.js';

/** One interface as netlink describes it inside one namespace. */
export interface Link {
  ifindex: number;
  name: string;
  /** veth, bridge, macvlan, vxlan... ('' for a plain device such as lo). */
  kind: string;
  mtu: number;
  up: boolean;
  mac?: string;
  /** The bridge this interface is enslaved to. */
  master?: string;
  /** The `@ifN` peer: its ifindex, in the namespace `linkNetnsid` names (absent: the same one). */
  peerIndex?: number;
  linkNetnsid?: number;
  /** Addresses with prefix length, e.g. "198.18.0.2/24"; IPv6 link-local ones left out. */
  cidrs: string[];
}

interface IpAddrJson {
  ifindex: number;
  ifname: string;
  mtu: number;
  flags?: string[];
  operstate?: string;
  address?: string;
  master?: string;
  link_index?: number;
  link_netnsid?: number;
  linkinfo?: { info_kind?: string };
  addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[];
}

export function parseLinks(rows: IpAddrJson[]): Link[] {
  return rows.map((row) => ({
    ifindex: row.ifindex,
    name: row.ifname,
    kind: row.linkinfo?.info_kind ?? '',
    mtu: row.mtu,
    up: (row.flags ?? []).includes('UP'),
    mac: row.address,
    master: row.master,
    peerIndex: row.link_index,
    linkNetnsid: row.link_netnsid,
    cidrs: (row.addr_info ?? [])
      .filter((a) => a.scope !== 'link' && (a.family === 'inet' || a.family === 'inet6'))
      .map((a) => `${a.local}/${a.prefixlen}`),
  }));
}

/** Every link of a namespace with its addresses: one netlink dump (`ip -j -d addr show`). */
export async function listLinks(ns: Netns): Promise<Link[]> {
  return parseLinks(await ipJson<IpAddrJson[]>(ns, ['-d', 'addr', 'show']));
}

export function addrsOf(link: Link): string[] {
  return link.cidrs.map((cidr) => cidr.split('/')[0]!);
}

export interface RouteChoice {
  dev: string;
  /** unicast, local (the destination is this host), unreachable... */
  type: string;
  gateway?: string;
  prefsrc?: string;
}

interface RouteGetJson {
  type?: string;
  dev?: string;
  gateway?: string;
  prefsrc?: string;
}

/** The route the kernel of `ns` would take to `dest` (`ip -j route get`). */
export async function routeTo(ns: Netns, dest: string): Promise<RouteChoice | undefined> {
  const rows = await ipJson<RouteGetJson[]>(ns, ['route', 'get', dest]).catch(() => []);
  const row = rows[0];
  if (!row?.dev) return undefined;
  return { dev: row.dev, type: row.type ?? 'unicast', gateway: row.gateway, prefsrc: row.prefsrc };
}

/** The default route's device, for traces without a destination (watch). */
export async function defaultRouteDev(ns: Netns): Promise<string | undefined> {
  const rows = await ipJson<{ dst: string; dev?: string }[]>(ns, ['route', 'show', 'default']).catch(() => []);
  return rows.find((r) => r.dev)?.dev;
}


/** The network a CIDR lies in, e.g. 198.18.0.2/24 -> 198.18.0.0/24. */
export function networkOf(cidr: string): string {
  const [addr, lenText] = cidr.split('/');
  const len = Number(lenText);
  const a = ipv4Value(addr ?? '');
  if (a === undefined) return cidr;
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  const n = (a & mask) >>> 0;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${len}`;
}
