// The words for tunnels and for clocks across hosts.
import type { FlowReport, Hop, LatencyStep, TunnelStep } from '../model.js';

/** "VXLAN VNI 4097, underlay 203.0.113.1 -> 203.0.113.3, UDP 4789" */
export function carrierText(step: TunnelStep): string {
  return `VXLAN VNI ${step.vni}, underlay ${step.outer.src} -> ${step.outer.dst}, UDP ${step.outer.dport}`;
}

/** The tunnel lines for the hop pair a-b: one per pair, the replies folded in when they took the same tunnel back. */
export function tunnelLines(flow: FlowReport, a: string, b: string): string[] {
  const steps = (flow.tunnels?.steps ?? []).filter((s) => (s.between[0] === a && s.between[1] === b) || (s.between[0] === b && s.between[1] === a));
  const request = steps.find((s) => s.direction === 'request');
  const reply = steps.find((s) => s.direction === 'reply');
  const lines: string[] = [];
  if (request) {
    const back = reply && sameTunnelBack(request, reply) ? `; replies ${reply.action} the other way` : '';
    lines.push(`${carrierText(request)}: requests ${request.action} between ${request.between[0]} and ${request.between[1]}${back}`);
  }
  if (reply && !(request && sameTunnelBack(request, reply))) {
    lines.push(`${carrierText(reply)}: replies ${reply.action} between ${reply.between[0]} and ${reply.between[1]}`);
  }
  return lines;
}

function sameTunnelBack(request: TunnelStep, reply: TunnelStep): boolean {
  return request.vni === reply.vni && request.outer.src === reply.outer.dst && request.outer.dst === reply.outer.src && request.outer.dport === reply.outer.dport;
}

/** ", inside the tunnel" when the packets were last seen encapsulated at the drop's first hop. */
export function dropPlace(flow: FlowReport): string {
  const drop = flow.dropBetween;
  return drop && flow.tunnels?.insideAt.includes(drop[0]) ? ', inside the tunnel' : '';
}

/** A step between two hosts: the latency only to the clocks' agreement. */
export function crossHostLatency(step: LatencyStep, format: (us: number) => string): string {
  return `${format(step.avgUs)} +- ${format(step.uncertaintyUs!)} (clocks of two hosts)`;
}

/** "hosts: h1 (hops 1-5), h2 (hops 6-10); ..." for a trace across hosts; undefined for one host. */
export function hostsLine(hops: Hop[], format: (us: number) => string): string | undefined {
  const hosts = [...new Set(hops.flatMap((h) => (h.host === undefined ? [] : [h.host])))];
  if (hosts.length < 2) return undefined;
  const spans = hosts.map((host) => {
    const at = hops.flatMap((h, i) => (h.host === host ? [i + 1] : []));
    const span = at.length === at[at.length - 1] - at[0] + 1 ? `${at[0]}-${at[at.length - 1]}` : at.join(',');
    return `${host} (hops ${span})`;
  });
  const clocks = hosts.map((host) => hops.find((h) => h.host === host)?.clockUncertaintyUs);
  const clockText = clocks.every((u) => u !== undefined)
    ? `clocks agree to ${hosts.map((host, i) => `${host} +- ${format(clocks[i]!)}`).join(', ')} after the measured offsets: latency across hosts is shown no finer than that`
    : 'clocks not compared: no latency is shown between hops on different hosts';
  return `hosts: ${spans.join(', ')}; ${clockText}`;
}
