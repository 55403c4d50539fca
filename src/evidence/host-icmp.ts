// An ICMP error the Docker host made itself, not by a REJECT rule: the kernel's own answer
// names its reason (time to live exceeded, no route, fragmentation needed), and the host's
// state shows the setting behind it (the route lookup, the MTU of the way out). Pure.
import type { FlowReport, Hop } from '../model.js';
import { formatAddress } from '../addresses.js';
import type { Cause, HostIcmpReason, HostSnapshot, PacketAtHop, RouteProbe } from './types.js';

type RejectedFinding = Extract<FlowReport['findings'][number], { code: 'rejected' }>;
export type HostIcmpError = { v6: boolean; type: number; code: number; mtu?: number };

/**
 * The reason behind an ICMP error of the host's own stack; undefined for the kinds a REJECT
 * rule can send too (port unreachable, prohibited), which attribution by rules answers.
 */
export function hostIcmpReason(e: HostIcmpError): HostIcmpReason | undefined {
  if (!e.v6) {
    if (e.type === 11 && e.code === 0) return 'ttl-expired';
    if (e.type === 3 && e.code === 4) return 'frag-needed';
    if (e.type === 3 && (e.code === 0 || e.code === 1)) return 'no-route';
    return undefined;
  }
  if (e.type === 3 && e.code === 0) return 'ttl-expired';
  if (e.type === 2) return 'frag-needed';
  if (e.type === 1 && e.code === 0) return 'no-route';
  return undefined;
}

const HOST_ROLES = new Set(['veth', 'bridge', 'uplink', 'host']);

/** Made by the host: on the path in its namespace, or at the host's own interface whose address it carries (a path that ends there). */
function madeByHost(f: RejectedFinding, hops: Hop[]): boolean {
  if (f.side === 'path') return f.netns === 'host';
  if (f.side !== 'destination' || !('at' in f) || f.answer.kind !== 'icmp-error') return false;
  const hop = hops.find((h) => h.name === f.at);
  const from = formatAddress(f.answer.from);
  return hop !== undefined && HOST_ROLES.has(hop.role) && hop.addrs.some((a) => a.split('/')[0] === from);
}

/** The flow's ICMP error made by the Docker host's own namespace, if it has one. */
export function hostMadeError(flow: FlowReport, hops: Hop[]): { error: HostIcmpError; finding: RejectedFinding } | undefined {
  if (flow.verdict !== 'rejected') return undefined;
  for (const f of flow.findings) {
    if (f.code !== 'rejected' || f.answer.kind !== 'icmp-error' || !madeByHost(f, hops)) continue;
    const { v6, type, code, mtu } = f.answer;
    return { error: { v6, type, code, ...(mtu === undefined ? {} : { mtu }) }, finding: f };
  }
  return undefined;
}

const NONE = (): Cause['evidence'] => ({ counters: [], conntrack: [], sysctls: {} });

/** The lookup the host made for these packets, as it answered after the trace. */
function probeOf(snap: HostSnapshot, p: PacketAtHop, iif: string): RouteProbe | undefined {
  return snap.routes.find((r) => r.dst === p.dst && r.from === p.src && r.iif === iif);
}

const ROUTE_FAILED = new Set(['unreachable', 'prohibit', 'blackhole', 'throw']);

/**
 * The cause of a host-made ICMP error, from the error itself and the host's state: undefined
 * when the state does not bear the reason out (the caller then attributes by rules).
 */
export function explainHostIcmp(
  e: HostIcmpError, packet: PacketAtHop, at: string, hops: Hop[], after: HostSnapshot,
): Cause | undefined {
  const reason = hostIcmpReason(e);
  if (!reason) return undefined;
  const icmp = { v6: e.v6, type: e.type, code: e.code };
  const probe = probeOf(after, packet, at);
  if (reason === 'ttl-expired') {
    return { kind: 'route', detail: { type: 'host-icmp', reason, at, icmp }, evidence: NONE() };
  }
  if (reason === 'no-route') {
    // Only a lookup that still fails proves it: a net/host unreachable can also come from a
    // REJECT rule or a neighbour that never answered.
    if (!probe || !(probe.error || (probe.type && ROUTE_FAILED.has(probe.type)))) return undefined;
    return { kind: 'route', detail: { type: 'host-icmp', reason, at, icmp, probe }, evidence: NONE() };
  }
  if (e.mtu === undefined) return undefined;
  const outIface = probe?.dev;
  const ifaceMtu = after.links?.find((l) => l.name === outIface)?.mtu ?? hops.find((h) => h.role !== 'container' && (h.iface ?? h.name) === outIface)?.mtu;
  return {
    kind: 'route',
    detail: { type: 'host-icmp', reason, at, icmp, mtu: e.mtu, ...(outIface ? { outIface } : {}), ...(ifaceMtu !== undefined ? { ifaceMtu } : {}), ...(probe ? { probe } : {}) },
    evidence: NONE(),
  };
}
