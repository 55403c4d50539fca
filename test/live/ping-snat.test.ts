import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, hoptrace, jsonReport, labUp, removeContainers, runContainer, skipReason, type LabEnv, withoutCauses } from './support.js';

const skip = skipReason();
const NAME = `htl-${process.pid}-ping`;

describe.skipIf(skip)(`hoptrace ping through docker0 and MASQUERADE${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: LabEnv | undefined;
  let ip = '';
  beforeAll(() => {
    buildCli();
    lab = labUp();
    ip = runContainer(lab, NAME);
  });
  afterAll(() => removeContainers(lab, NAME));

  it('reports ok with the SNAT of the source between docker0 and the uplink', () => {
    const result = hoptrace(['ping', NAME, lab!.outsideAddr, '--count', '3', '--interval', '0.2', '--json'], { DOCKER_HOST: lab!.dockerHost });
    const report = jsonReport(result);
    expect(result.status, result.stderr).toBe(0);
    expect(report.hops.map((h) => h.role)).toEqual(['container', 'veth', 'bridge', 'uplink']);
    expect(report.hops[0]!.name).toBe(`${NAME} eth0`);
    expect(report.hops[2]!.name).toBe('docker0');
    expect(report.hops[3]!.name).toBe('eth0');
    expect(report.flows).toHaveLength(1);
    const flow = report.flows[0]!;
    expect(flow).toMatchObject({ proto: 'icmp', initiator: ip, responder: lab!.outsideAddr, verdict: 'ok', dropBetween: null });
    expect(withoutCauses(flow.rewrites)).toContainEqual({ between: ['docker0', 'eth0'], direction: 'request', field: 'src', from: ip, to: lab!.uplinkAddr });
    expect(withoutCauses(flow.rewrites)).toContainEqual({ between: ['eth0', 'docker0'], direction: 'reply', field: 'dst', from: lab!.uplinkAddr, to: ip });
    // The host's rule behind the SNAT, read from its state before and after the trace.
    expect(flow.rewrites.find((r) => r.field === 'src')?.cause).toMatchObject({ kind: 'rule' });
    expect(JSON.stringify(flow.rewrites.find((r) => r.field === 'src')?.cause)).toContain('-j MASQUERADE');
    // Nothing but the MASQUERADE happens on this path (the echo id may be remapped by it too).
    for (const r of flow.rewrites) expect([r.between[0], r.between[1]].sort()).toEqual(['docker0', 'eth0']);
    expect(report.summary.packetsPerHop).toEqual([6, 6, 6, 6]);
    expect(report.summary.timestamps).toMatch(/^taken by the kernel as each hop's capture saw the packet \(libpcap's packet header, in nanoseconds\)/);
    // The kernel's own count of each hop: the six packets the filter passed, none lost.
    expect(report.hops.map((h) => h.kernel)).toEqual(Array(4).fill({ received: 6, dropped: 0, ifDropped: 0 }));
    expect(report.summary.warnings).toEqual([]);
  });
});
