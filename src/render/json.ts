import type { FlowReport, Report, Rewrite } from '../model.js';
import { endpointText, fieldText } from './values.js';

/** Version of the JSON document; schema/report.schema.json describes it. Bumped on any breaking change. */
export const REPORT_FORMAT = 1;

export function renderJson(report: Report): string {
  const hops = report.hops.map(({ name, role, netns, iface, addrs, file, mtu, host, clockUncertaintyUs, kernel }) => ({ name, role, netns, iface, addrs, file, mtu, host, clockUncertaintyUs, kernel }));
  return `${JSON.stringify({ format: REPORT_FORMAT, hops, flows: report.flows.map(flowJson), summary: report.summary, ...(report.causes ? { causes: report.causes } : {}) }, null, 2)}\n`;
}

/** A rewrite as the JSON document writes it: its values as text. */
export type RewriteJson = Omit<Rewrite, 'from' | 'to'> & { from: string; to: string };
/** A flow as the JSON document writes it. */
export type FlowJson = Omit<FlowReport, 'initiator' | 'responder' | 'rewrites'> & { initiator: string; responder: string; rewrites: RewriteJson[] };

/** A flow as the JSON document writes it: endpoints and rewritten values as text, every other field as it is. */
export function flowJson(flow: FlowReport): FlowJson {
  return {
    ...flow,
    initiator: endpointText(flow.initiator),
    responder: endpointText(flow.responder),
    rewrites: flow.rewrites.map((r) => ({ ...r, from: fieldText(r.field, r.from), to: fieldText(r.field, r.to) })),
  };
}
