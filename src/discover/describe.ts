import type { DiscoveredPath } from './path.js';
import type { PathFact } from './macvlan.js';

/** `hoptrace path --json`: what was found, without the live handles. */
export function pathDocument(path: DiscoveredPath): object {
  return {
    target: path.target.description,
    mode: path.mode,
    destination: path.destination ?? null,
    hops: path.hops.map(({ name, role, netns, iface, addrs, mtu }) => ({ name, role, netns, iface, addrs, mtu })),
    route: path.route ?? null,
    containerRoute: path.containerRoute ?? null,
    defaultRoutes: path.defaultRoutes ?? [],
    natRules: path.nat.rules,
    natProblem: path.nat.problem ?? null,
    published: path.target.container?.ports ?? [],
    facts: path.facts,
    notes: path.notes,
  };
}

/** `hoptrace path`: the numbered hop list people write by hand, then route, NAT and notes. */
export function describePath(path: DiscoveredPath): string {
  const to = path.destination ? ` to ${path.destination}` : '';
  const lines = [`path of ${path.target.description}${to} (${modeText(path.mode)}):`];
  const width = Math.max(0, ...path.hops.map((h) => h.name.length));
  path.hops.forEach((hop, i) => {
    const addrs = hop.addrs.length > 0 ? hop.addrs.join(', ') : 'no address';
    lines.push(`  ${i + 1}. ${hop.name.padEnd(width)}  ${hop.role.padEnd(9)} netns ${hop.netns ?? 'host'}, ${addrs}, mtu ${hop.mtu ?? '?'}`);
  });
  if (path.containerRoute) lines.push(`route inside: ${routeText(path.destination!, path.containerRoute)}`);
  if (path.route) lines.push(`route on the host: ${routeText(path.destination!, path.route)}`);
  for (const r of path.defaultRoutes ?? []) {
    lines.push(`default route on the host (IPv${r.family}): ${r.gateway ? `via ${r.gateway} ` : ''}dev ${r.dev}`);
  }
  for (const port of path.target.container?.ports ?? []) {
    lines.push(`published: ${port.hostIp || '0.0.0.0'}:${port.hostPort} -> ${port.containerPort}`);
  }
  if (path.mode === 'bridge' || path.mode === 'veth') lines.push(...natLines(path));
  lines.push(...path.facts.map((fact) => `note: ${describeFact(fact)}`));
  lines.push(...path.notes.map((note) => `note: ${note}`));
  return `${lines.join('\n')}\n`;
}

function modeText(mode: DiscoveredPath['mode']): string {
  const texts: Record<DiscoveredPath['mode'], string> = {
    bridge: 'veth into a bridge',
    veth: 'routed veth, no bridge',
    macvlan: 'macvlan child of a host interface',
    ipvlan: 'ipvlan child of a host interface',
    host: 'host network',
    none: 'no network',
  };
  return texts[mode];
}

function routeText(dest: string, route: NonNullable<DiscoveredPath['route']>): string {
  if (route.type === 'local') return `${dest} is local (dev ${route.dev})`;
  const via = route.gateway ? ` via ${route.gateway}` : ' (directly connected)';
  const src = route.prefsrc ? `, source ${route.prefsrc}` : '';
  return `${dest}${via} dev ${route.dev}${src}`;
}

function natLines(path: DiscoveredPath): string[] {
  const subject = path.subnets.length > 0 ? path.subnets.join(', ') : path.addrs.join(', ');
  if (path.nat.problem) return [`nat rules: not read (${path.nat.problem})`];
  const tools = path.subnets.some((s) => s.includes(':')) ? 'iptables-save -t nat, ip6tables-save -t nat' : 'iptables-save -t nat';
  const listed = path.nat.rules.length === 0 ? [`nat rules matching ${subject}: none`] : [`nat rules matching ${subject} (${tools}):`, ...path.nat.rules.map((rule) => `  ${rule}`)];
  const snat = path.nat.snat;
  // A warning only for traffic that leaves the host by an interface no MASQUERADE/SNAT rule covers.
  if (!snat || snat.uncovered.length === 0) return listed;
  const uncovered = snat.uncovered.join(', ');
  return [...listed, `warning: no MASQUERADE/SNAT rule covers ${uncovered} leaving by ${snat.out}: replies cannot find their way back unless the network routes ${uncovered}`];
}

/** A fact of discovery in words: what people who meet it need to read. */
export function describeFact(fact: PathFact): string {
  if (fact.kind === 'vlan-tag-expected') {
    return `frames on ${fact.trunk} carry 802.1Q tag ${fact.vlanId} and those on ${fact.parent} do not: that is the VLAN, not a rewrite`;
  }
  const child = fact.child.name ? `${fact.child.name} (${fact.child.addr})` : fact.child.addr;
  const who = fact.peer === 'host' ? 'the host' : 'a container on this host (its packets leave by the host)';
  const a = fact.driver === 'ipvlan' ? 'an' : 'a';
  return (
    `${who} and ${child}, ${a} ${fact.driver} child of ${fact.parent}, cannot reach each other: the kernel does not pass traffic ` +
    `between ${a} ${fact.driver} parent and its own children. The usual fix: give the host ${a} ${fact.driver} interface of its own on ` +
    `${fact.parent} and route the children through it (ip link add ${fact.driver}-host link ${fact.parent} type ${fact.driver}` +
    `${fact.driver === 'macvlan' ? ' mode bridge' : ' mode l2'}; ip addr add <a free address>/32 dev ${fact.driver}-host; ip link set ${fact.driver}-host up; ` +
    `ip route add ${fact.childRange} dev ${fact.driver}-host)`
  );
}
