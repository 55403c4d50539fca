// `replay --pcapng X` then `replay X`: the same report, for every recorded fixture. The hops
// come back from the interfaces in order, with their roles and addresses; the report is
// recomputed from the packets.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { FIXTURES, TRACE_FIXTURES, hoptrace, scratchDir } from './support.js';

// Each test runs the CLI or tshark several times; a shared, loaded machine needs more than 5 s.
vi.setConfig({ testTimeout: 90_000 });

const dir = scratchDir('roundtrip');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function withoutFiles(json: string) {
  const report = JSON.parse(json);
  for (const hop of report.hops) delete hop.file;
  return report;
}

// A --record trace's host.json (the host's state, for the why: lines) is not carried by a pcapng:
// such a trace is compared without it.
function packetsOnly(name: string): string {
  const source = path.join(FIXTURES, name);
  if (!fs.existsSync(path.join(source, 'host.json'))) return source;
  const copy = fs.mkdtempSync(path.join(dir, `${name}-`));
  for (const f of fs.readdirSync(source)) if (f !== 'host.json') fs.copyFileSync(path.join(source, f), path.join(copy, f));
  return copy;
}

describe('a trace exported with --pcapng and replayed from that file', () => {
  it('covers every recorded fixture', () => {
    expect(TRACE_FIXTURES.length).toBeGreaterThanOrEqual(12);
  });

  for (const name of TRACE_FIXTURES) {
    it(`gives the same report as the trace directory it came from: ${name}`, () => {
      const file = path.join(dir, `${name}.pcapng`);
      const source = packetsOnly(name);
      const direct = hoptrace(['replay', source, '--pcapng', file]);
      const direct2 = hoptrace(['replay', source, '--json']);
      const again = hoptrace(['replay', file]);
      const again2 = hoptrace(['replay', file, '--json']);
      expect(direct.stderr).toBe('');
      expect(again.stderr).toBe('');
      expect(again.code).toBe(direct.code);
      expect(again.stdout).toBe(direct.stdout);
      // The JSON holds each hop's file: the rest, roles and addresses included, is the same.
      expect(withoutFiles(again2.stdout)).toEqual(withoutFiles(direct2.stdout));
      expect(JSON.parse(again2.stdout).hops.every((h: { file: string }) => h.file === file)).toBe(true);
    });
  }

  it('a one-hop trace keeps its hop\'s name, though a single-interface file is not split by interface', () => {
    const file = path.join(dir, 'one-hop.pcapng');
    const direct = hoptrace(['replay', path.join(FIXTURES, 'ping-out', '01-c1-eth0.pcap'), '--pcapng', file]);
    const again = hoptrace(['replay', file]);
    expect(again.stdout).toBe(direct.stdout);
    expect(again.stdout).toContain('path: 1. 01-c1-eth0\n');
  });

  // ip-forward-off's last request is the last packet of the trace, seen at docker0 at 1795461744.470406.
  function ipForwardOffStoppedAt(stoppedAt: number | undefined): string {
    const source = path.join(FIXTURES, 'ip-forward-off');
    const trace = fs.mkdtempSync(path.join(dir, 'trace-'));
    for (const f of fs.readdirSync(source)) fs.copyFileSync(path.join(source, f), path.join(trace, f));
    const doc = JSON.parse(fs.readFileSync(path.join(trace, 'path.json'), 'utf8'));
    fs.writeFileSync(path.join(trace, 'path.json'), JSON.stringify({ ...doc, stoppedAt }));
    const file = `${trace}.pcapng`;
    expect(hoptrace(['replay', trace, '--pcapng', file]).code).toBe(1);
    return file;
  }

  it('keeps when the captures stopped: a second after the last request, all three vanished', () => {
    const flow = JSON.parse(hoptrace(['replay', ipForwardOffStoppedAt(1795461745.470406), '--json']).stdout).flows[0];
    expect(flow).toMatchObject({ verdict: 'dropped', dropBetween: ['docker0', 'eth0'], findings: [] });
  });

  it('and without a stop time the last request is still on its way, as in the trace directory', () => {
    const flow = JSON.parse(hoptrace(['replay', ipForwardOffStoppedAt(undefined), '--json']).stdout).flows[0];
    expect(flow.findings).toEqual([{ code: 'in-flight', direction: 'request', count: 1, message: '1 request still on the way when the capture ended' }]);
  });
});
