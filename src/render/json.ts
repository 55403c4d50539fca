import type { Report } from '../model.js';

/** Version of the JSON document; schema/report.schema.json describes it. Bumped on any breaking change. */
export const REPORT_FORMAT = 1;

export function renderJson(report: Report): string {
  const hops = report.hops.map(({ name, role, netns, iface, addrs, file, mtu, host, clockUncertaintyUs }) => ({ name, role, netns, iface, addrs, file, mtu, host, clockUncertaintyUs }));
  return `${JSON.stringify({ format: REPORT_FORMAT, hops, flows: report.flows, summary: report.summary }, null, 2)}\n`;
}
