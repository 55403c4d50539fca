import type { Finding, FlowReport, Report, Rewrite } from '../model.js';
import { endpointText, fieldText } from './values.js';
import { findingText } from './findings.js';
import { formatAddress } from '../addresses.js';

/** Version of the JSON document; schema/report.schema.json describes it. Bumped on any breaking change. */
export const REPORT_FORMAT = 2;

export function renderJson(report: Report): string {
  const hops = report.hops.map(({ name, role, netns, iface, addrs, file, mtu, host, clockUncertaintyUs, kernel }) => ({ name, role, netns, iface, addrs, file, mtu, host, clockUncertaintyUs, kernel }));
  return `${JSON.stringify({ format: REPORT_FORMAT, hops, flows: report.flows.map(flowJson), summary: report.summary, ...(report.causes ? { causes: report.causes } : {}) }, null, 2)}\n`;
}

/** A rewrite as the JSON document writes it: its values as text. */
export type RewriteJson = Omit<Rewrite, 'from' | 'to'> & { from: string; to: string };
/** A flow as the JSON document writes it. */
export type FlowJson = Omit<FlowReport, 'initiator' | 'responder' | 'rewrites' | 'findings'> & {
  initiator: string;
  responder: string;
  rewrites: RewriteJson[];
  findings: FindingJson[];
};
/** A finding as the JSON document writes it: its fields, addresses as text, and its sentence. */
export type FindingJson = Record<string, unknown> & { code: Finding['code']; message: string };

/** Findings are values; the document gives their addresses as text and their sentence beside the fields. */
export function findingJson(f: Finding): FindingJson {
  const message = findingText(f);
  switch (f.code) {
    case 'rejected':
      return { ...f, answer: { ...f.answer, from: formatAddress(f.answer.from) }, message };
    case 'reset-close':
      return { ...f, from: formatAddress(f.from), message };
    case 'no-snat':
      return { ...f, src: formatAddress(f.src), message };
    default:
      return { ...f, message };
  }
}

/** A flow as the JSON document writes it: endpoints and rewritten values as text, every other field as it is. */
export function flowJson(flow: FlowReport): FlowJson {
  return {
    ...flow,
    initiator: endpointText(flow.initiator),
    responder: endpointText(flow.responder),
    rewrites: flow.rewrites.map((r) => ({ ...r, from: fieldText(r.field, r.from), to: fieldText(r.field, r.to) })),
    findings: flow.findings.map(findingJson),
  };
}
