// The settings that drop without a rule: forwarding off, rp_filter against an asymmetric
// route, a missing or blackhole route. Read from a snapshot; pure.
import type { Cause, CauseDetail, Family, HostSnapshot, PacketAtHop } from './types.js';

export function forwardingOff(snap: HostSnapshot, family: Family, iif: string): Extract<CauseDetail, { type: 'forwarding-off' }> | undefined {
  const names = family === 4
    ? ['net.ipv4.ip_forward', `net.ipv4.conf.${iif}.forwarding`]
    : ['net.ipv6.conf.all.forwarding', `net.ipv6.conf.${iif}.forwarding`];
  for (const sysctl of names) {
    const value = snap.sysctls[sysctl];
    if (value === '0') return { type: 'forwarding-off', sysctl, value };
  }
  return undefined;
}

/** rp_filter in force on an interface: the kernel uses the larger of conf.all and conf.<if>. */
export function rpFilter(snap: HostSnapshot, iif: string): { sysctl: string; value: string } | undefined {
  const all = snap.sysctls['net.ipv4.conf.all.rp_filter'];
  const own = snap.sysctls[`net.ipv4.conf.${iif}.rp_filter`];
  if (all === undefined && own === undefined) return undefined;
  return Number(all ?? 0) >= Number(own ?? 0)
    ? { sysctl: 'net.ipv4.conf.all.rp_filter', value: all ?? '0' }
    : { sysctl: `net.ipv4.conf.${iif}.rp_filter`, value: own ?? '0' };
}

const BAD_TYPES = new Set(['blackhole', 'unreachable', 'prohibit', 'throw']);

export function routeProblem(snap: HostSnapshot, p: PacketAtHop, iif: string): Cause | undefined {
  const probe = snap.routes.find((r) => r.dst === p.dst && r.from === p.src && r.iif === iif);
  if (!probe) return undefined;
  const none = { counters: [], conntrack: [], sysctls: {} };
  if (probe.error && p.family === 4) {
    // A strict reverse-path check fails the lookup (EINVAL, a "martian source") when the way
    // back to the source leaves by another interface than the one the packet came in on.
    const rp = rpFilter(snap, iif);
    const back = snap.routes.find((r) => r.dst === p.src && r.from === undefined && r.iif === undefined);
    if (rp && rp.value === '1' && back?.dev !== undefined && back.dev !== iif) {
      return { kind: 'sysctl', detail: { type: 'rp-filter', ...rp, iif, replyDev: back.dev }, evidence: { ...none, sysctls: { [rp.sysctl]: rp.value } } };
    }
  }
  if (probe.error || (probe.type && BAD_TYPES.has(probe.type))) return { kind: 'route', detail: { type: 'no-route', probe }, evidence: none };
  return undefined;
}
