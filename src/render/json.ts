import type { Report } from '../model.js';

/** Version of the JSON document; schema/report.schema.json describes it. Bumped on any breaking change. */
export const REPORT_FORMAT = 1;

export function renderJson(report: Report): string {
  const hops = report.hops.map(({ name, role, netns, iface, addrs, file, mtu }) => ({ name, role, netns, iface, addrs, file, mtu }));
  return `${JSON.stringify({ format: REPORT_FORMAT, hops, flows: report.flows, summary: report.summary, ...(report.causes ? { causes: report.causes } : {}) }, null, 2)}\n`;
}
