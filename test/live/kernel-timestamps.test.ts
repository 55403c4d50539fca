import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, hoptrace, jsonReport, labUp, removeContainers, runContainer, skipReason, type LabEnv } from './support.js';

const skip = skipReason();
const NAME = `htl-${process.pid}-kts`;

interface LatencyStep {
  between: [string, string];
  direction: string;
  samples: number;
  minUs: number;
  avgUs: number;
  maxUs: number;
}

describe.skipIf(skip)(`live latencies from kernel timestamps${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: LabEnv | undefined;
  beforeAll(() => {
    buildCli();
    lab = labUp();
    runContainer(lab, NAME);
  });
  afterAll(() => removeContainers(lab, NAME));

  it('has no negative latency on any hop pair over 100 echoes, and no capture loss', () => {
    const result = hoptrace(['ping', NAME, lab!.outsideAddr, '--count', '100', '--interval', '0.02', '--json'], { DOCKER_HOST: lab!.dockerHost });
    expect(result.status, result.stderr).toBe(0);
    const report = jsonReport(result);
    expect(report.summary.packetsPerHop).toEqual([200, 200, 200, 200]);
    expect(report.summary.timestamps).toMatch(/^taken by the kernel/);
    expect(report.summary.warnings).toEqual([]);
    const latency = (report.flows[0] as unknown as { latency: LatencyStep[] }).latency;
    const hops = report.hops.map((h) => h.name);
    const pairs = latency.map((s) => `${s.direction} ${s.between.join(' > ')}`).sort();
    expect(pairs).toEqual(
      [
        `reply ${hops[1]} > ${hops[0]}`,
        `reply ${hops[2]} > ${hops[1]}`,
        `reply ${hops[3]} > ${hops[2]}`,
        `request ${hops[0]} > ${hops[1]}`,
        `request ${hops[1]} > ${hops[2]}`,
        `request ${hops[2]} > ${hops[3]}`,
      ].sort(),
    );
    for (const step of latency) {
      expect(step.samples, JSON.stringify(step)).toBe(100);
      expect(step.minUs, JSON.stringify(step)).toBeGreaterThanOrEqual(0);
      // One host, kernel clocks: a hop to the next takes microseconds, not the milliseconds of scheduling.
      expect(step.maxUs, JSON.stringify(step)).toBeLessThan(5000);
    }
  });
});
