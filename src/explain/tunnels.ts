// Tunnels and clocks across hosts, as the report states them.
import type { Hop, LatencyStep, TunnelStep } from '../model.js';
import type { FlowSummary } from '../correlate/flows.js';
import { formatAddress } from '../addresses.js';

/** The flow's tunnel steps in path order, requests first; undefined when it crossed no tunnel. */
export function tunnelsOf(flow: FlowSummary, names: string[]): FlowReportTunnels | undefined {
  if (flow.tunnels.size === 0 && flow.insideAt === 0) return undefined;
  const rank = (d: string) => (d === 'request' ? 0 : 1);
  const steps: TunnelStep[] = [...flow.tunnels.values()]
    .sort((a, b) => rank(a.direction) - rank(b.direction) || ((a.direction === 'request') === flow.outbound ? a.from - b.from : b.from - a.from))
    .map((r) => ({
      between: [names[r.from], names[r.to]],
      direction: r.direction,
      kind: 'vxlan',
      vni: r.tunnel.vni,
      outer: { src: formatAddress(r.tunnel.src), dst: formatAddress(r.tunnel.dst), dport: r.tunnel.dport },
      action: r.entered ? 'encapsulated' : 'decapsulated',
    }));
  const insideAt = names.filter((_, hop) => hop < 31 && (flow.insideAt & (1 << hop)) !== 0);
  return { steps, insideAt };
}

type FlowReportTunnels = { steps: TunnelStep[]; insideAt: string[] };

/**
 * A latency step between hops on two hosts is only as good as the two clocks agree: without a
 * measured offset it is not given at all; with one its figures are rounded to the uncertainty.
 * Steps on one host (or in a trace that names no hosts) pass unchanged.
 */
export function acrossHosts(step: LatencyStep, a: Hop, b: Hop): LatencyStep | undefined {
  if (a.host === undefined || b.host === undefined || a.host === b.host) return step;
  if (a.clockUncertaintyUs === undefined || b.clockUncertaintyUs === undefined) return undefined;
  const uncertaintyUs = Math.max(1, Math.ceil(a.clockUncertaintyUs + b.clockUncertaintyUs));
  // `|| 0`: a rounded -0 would print as "-0".
  const round = (us: number) => Math.round(us / uncertaintyUs) * uncertaintyUs || 0;
  return { ...step, minUs: round(step.minUs), avgUs: round(step.avgUs), maxUs: round(step.maxUs), uncertaintyUs };
}
