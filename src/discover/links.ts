import { ipJson, type Netns } from './netns.js';
import { ipv4Value, ipv6Groups } from '../addresses.js';

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
  /**
   * IFLA_LINK, the `@ifN` of `ip link`: a veth's peer, a macvlan/ipvlan/vlan device's lower
   * (parent) device; its ifindex, in the namespace `linkNetnsid` names (absent: the same one).
   */
  peerIndex?: number;
  linkNetnsid?: number;
  /** The lower device's name, when it is in the same namespace. */
  linkName?: string;
  /** macvlan (bridge, vepa, private, passthru, source) or ipvlan (l2, l3, l3s) mode. */
  mode?: string;
  /** A vlan device's 802.1Q id. */
  vlanId?: number;
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
  link?: string | null;
  link_index?: number;
  link_netnsid?: number;
  linkinfo?: { info_kind?: string; info_data?: { mode?: string; id?: number } };
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
    linkName: row.link ?? undefined,
    mode: row.linkinfo?.info_data?.mode,
    vlanId: row.linkinfo?.info_kind === 'vlan' ? row.linkinfo.info_data?.id : undefined,
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


/** The network a CIDR lies in, e.g. 198.18.0.2/24 -> 198.18.0.0/24, fd00:18:1::2/64 -> fd00:18:1::/64. */
export function networkOf(cidr: string): string {
  const [addr, lenText] = cidr.split('/');
  const len = Number(lenText);
  const a = ipv4Value(addr ?? '');
  if (a !== undefined) {
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    const n = (a & mask) >>> 0;
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${len}`;
  }
  const groups = ipv6Groups(addr ?? '');
  if (!groups || !(len >= 0 && len <= 128)) return cidr;
  const masked = groups.map((g, i) => {
    const left = len - i * 16;
    return left >= 16 ? g : left <= 0 ? 0 : g & ((0xffff << (16 - left)) & 0xffff);
  });
  return `${ipv6Text(masked)}/${len}`;
}

/** RFC 5952 text: lower case, the longest run of two or more zero groups written as "::". */
function ipv6Text(groups: number[]): string {
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

export interface DefaultRoute {
  family: 4 | 6;
  dev: string;
  gateway?: string;
}

/** The default routes of both families, for `path` without a destination. */
export async function defaultRoutes(ns: Netns): Promise<DefaultRoute[]> {
  const found: DefaultRoute[] = [];
  for (const family of [4, 6] as const) {
    const rows = await ipJson<{ dev?: string; gateway?: string }[]>(ns, [`-${family}`, 'route', 'show', 'default']).catch(() => []);
    const row = rows.find((r) => r.dev);
    if (row?.dev) found.push({ family, dev: row.dev, gateway: row.gateway });
  }
  return found;
}
