// The host's state around a live trace: read before the capture starts and after it stops,
// in the namespace holding the path's veths, bridge and uplink (dockerd's). Read-only, unless
// --trace-rules asked for the temporary nftables trace table.
import { join } from 'node:path';
import type { Report } from '../model.js';
import type { DiscoveredPath } from '../discover/path.js';
import { attachCauses, routeQuestionsOf } from './causes.js';
import { collectSnapshot, type CollectOptions } from './collect.js';
import { type HostEvidence, hostEvidence, writeHostFile } from './host-file.js';
import { type RuleTrace, startRuleTrace } from './trace-rules.js';
import type { HostSnapshot } from './types.js';

export const HOST_FILE_NAME = 'host.json';

export interface HostWatch {
  /** Ends --trace-rules' table (also when the trace failed); safe to call twice. */
  stop(): Promise<void>;
  /** Reads the host again, writes host.json into `recordDir` if given, and returns the report with causes (`keep` gets the evidence, for --pcapng). */
  finish(report: Report, recordDir?: string, keep?: (evidence: HostEvidence) => void): Promise<Report>;
}

const HOST_ROLES = new Set(['veth', 'bridge', 'uplink', 'host']);

export async function watchHost(path: DiscoveredPath, options: { traceRules: boolean }): Promise<HostWatch> {
  const ns = path.target.hostNetns;
  const interfaces = [...new Set(path.hops.filter((h) => HOST_ROLES.has(h.role)).map((h) => h.iface ?? h.name))];
  const base: CollectOptions = { interfaces, routes: [], ...(path.target.docker ? { docker: path.target.docker } : {}) };
  const before: HostSnapshot = await collectSnapshot(ns, base);
  let trace: RuleTrace | undefined;
  if (options.traceRules && path.destination) {
    const family = path.destination.includes(':') ? 6 : 4;
    const flows = path.addrs.filter((a) => a.includes(':') === (family === 6)).map((a) => ({ family: family as 4 | 6, a: a.split('/')[0]!, b: path.destination! }));
    trace = await startRuleTrace(ns, flows);
  }
  let events: RuleTrace['events'] | undefined;
  const stop = async (): Promise<void> => {
    const t = trace;
    trace = undefined;
    await t?.stop();
    if (t) events = t.events;
  };
  return {
    stop,
    async finish(report, recordDir, keep) {
      await stop();
      const after = await collectSnapshot(ns, { ...base, routes: routeQuestionsOf(report) });
      const evidence = hostEvidence([{ role: 'host', before, after }], events);
      if (recordDir) writeHostFile(join(recordDir, HOST_FILE_NAME), evidence);
      keep?.(evidence);
      return attachCauses(report, evidence, { traceRules: options.traceRules });
    },
  };
}
