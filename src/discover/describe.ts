import type { DiscoveredPath } from './path.js';

/** `hoptrace path --json`: what was found, without the live handles. */
export function pathDocument(path: DiscoveredPath): object {
  return {
    target: path.target.description,
    mode: path.mode,
    destination: path.destination ?? null,
    hops: path.hops.map(({ name, role, netns, iface, addrs, mtu }) => ({ name, role, netns, iface, addrs, mtu })),
    route: path.route ?? null,
    containerRoute: path.containerRoute ?? null,
    natRules: path.nat.rules,
    natProblem: path.nat.problem ?? null,
    published: path.target.container?.ports ?? [],
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
  for (const port of path.target.container?.ports ?? []) {
    lines.push(`published: ${port.hostIp || '0.0.0.0'}:${port.hostPort} -> ${port.containerPort}`);
  }
  if (path.mode === 'bridge' || path.mode === 'veth') lines.push(...natLines(path));
  lines.push(...path.notes.map((note) => `note: ${note}`));
  return `${lines.join('\n')}\n`;
}

function modeText(mode: DiscoveredPath['mode']): string {
  return { bridge: 'veth into a bridge', veth: 'routed veth, no bridge', host: 'host network', none: 'no network' }[mode];
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
  const listed = path.nat.rules.length === 0 ? [`nat rules matching ${subject}: none`] : [`nat rules matching ${subject} (iptables-save -t nat):`, ...path.nat.rules.map((rule) => `  ${rule}`)];
  const snat = path.nat.snat;
  // A warning only for traffic that leaves the host by an interface no MASQUERADE/SNAT rule covers.
  if (!snat || snat.uncovered.length === 0) return listed;
  const uncovered = snat.uncovered.join(', ');
  return [...listed, `warning: no MASQUERADE/SNAT rule covers ${uncovered} leaving by ${snat.out}: replies cannot find their way back unless the network routes ${uncovered}`];
}
