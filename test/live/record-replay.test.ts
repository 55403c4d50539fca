import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, hoptrace, jsonReport, labUp, removeContainers, runContainer, skipReason, type LabEnv } from './support.js';

const skip = skipReason();
const NAME = `htl-${process.pid}-rec`;

describe.skipIf(skip)(`hoptrace ping --record, then replay${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: LabEnv | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'hoptrace-rec-'));
  beforeAll(() => {
    buildCli();
    lab = labUp();
    runContainer(lab, NAME);
  });
  afterAll(() => {
    removeContainers(lab, NAME);
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes path.json and one pcap per hop that replay turns into the same report', () => {
    const live = hoptrace(['ping', NAME, lab!.outsideAddr, '--count', '3', '--interval', '0.2', '--json', '--record', dir], { DOCKER_HOST: lab!.dockerHost });
    const liveReport = jsonReport(live);
    const pathJson = JSON.parse(readFileSync(join(dir, 'path.json'), 'utf8'));
    expect(pathJson.hops.map((h: { file: string }) => h.file)).toEqual(readdirSync(dir).filter((f) => f.endsWith('.pcap')).sort());
    expect(pathJson.hops[0]).toMatchObject({ name: `${NAME} eth0`, role: 'container', netns: `container:${NAME}`, iface: 'eth0' });
    const replay = hoptrace(['replay', dir, '--json']);
    const replayReport = jsonReport(replay);
    expect(replay.status).toBe(live.status);
    expect(replayReport.summary.packetsPerHop).toEqual(liveReport.summary.packetsPerHop);
    const essence = (r: typeof liveReport) =>
      r.flows.map((f) => ({ proto: f.proto, initiator: f.initiator, responder: f.responder, verdict: f.verdict, dropBetween: f.dropBetween, rewrites: f.rewrites }));
    expect(essence(replayReport)).toEqual(essence(liveReport));
    expect(liveReport.flows[0]!.verdict).toBe('ok');
  });
});
