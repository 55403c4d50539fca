import type { Report } from '../model.js';
import { findingText } from './findings.js';

/** Version of the JSON document; schema/report.schema.json describes it. Bumped on any breaking change. */
export const REPORT_FORMAT = 2;

export function renderJson(report: Report): string {
  const hops = report.hops.map(({ name, role, netns, iface, addrs, file, mtu }) => ({ name, role, netns, iface, addrs, file, mtu }));
  // Findings are values; their sentence goes beside the fields.
  const flows = report.flows.map((flow) => ({ ...flow, findings: flow.findings.map((f) => ({ ...f, message: findingText(f) })) }));
  return `${JSON.stringify({ format: REPORT_FORMAT, hops, flows, summary: report.summary }, null, 2)}\n`;
}
