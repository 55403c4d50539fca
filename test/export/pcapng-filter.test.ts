// --filter with --pcapng: the filter selects flows for the report, not packets for the file.
// Every frame is written (so the pcapng replays to the full report, and with the same filter
// to the same filtered report); only frames of the flows the filter keeps carry comments.
// The two-flow trace is ping-out and tcp-out played on the same four hops at the same time.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openTrace } from '../../src/capture/trace.js';
import { PcapngExport } from '../../src/export/pcapng-export.js';
import type { Frame } from '../../src/model.js';
import { FIXTURES, hoptrace, scratchDir, tshark, which } from './support.js';

vi.setConfig({ testTimeout: 90_000 });

const dir = scratchDir('filter');
const both = path.join(dir, 'ping-and-tcp.pcapng');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function frames(name: string): Frame[] {
  const trace = openTrace([path.join(FIXTURES, name)]);
  const out = [...trace.frames()].map((f) => ({ ...f, data: Uint8Array.from(f.data) }));
  trace.close();
  return out;
}

/** tcp-out's frames moved in time to start 1 ms after ping-out's first frame, merged in time order. */
function twoFlowTrace(): void {
  const ping = frames('ping-out');
  const tcp = frames('tcp-out');
  const shiftNs = (ping[0].tsSec - tcp[0].tsSec) * 1e9 + (ping[0].tsNsec - tcp[0].tsNsec) + 1_000_000;
  const moved = tcp.map((f) => {
    const ns = f.tsNsec + (shiftNs % 1e9);
    return { ...f, tsSec: f.tsSec + Math.trunc(shiftNs / 1e9) + Math.floor(ns / 1e9), tsNsec: ((ns % 1e9) + 1e9) % 1e9 };
  });
  const merged = [...ping, ...moved].sort((a, b) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec);
  const out = new PcapngExport(both, openTrace([path.join(FIXTURES, 'ping-out')]).hops, { description: 'ping-out and tcp-out on the same hops' });
  for (const f of merged) out.frame(f);
  out.close();
}

interface Row {
  comment: string;
  proto: string;
}

function rows(file: string): Row[] {
  const out = tshark(['-r', file, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=f', '-e', 'frame.comment', '-e', 'ip.proto']);
  expect(out.stderr).toBe('');
  return out.stdout
    .trimEnd()
    .split('\n')
    .map((line: string) => {
      const [comment, proto] = line.split('\t');
      return { comment: comment ?? '', proto: proto ?? '' };
    });
}

describe.skipIf(!which('tshark'))('replay --filter with --pcapng', () => {
  beforeAll(twoFlowTrace);

  it('the trace made for this test holds two flows, an ICMP one and a TCP one', () => {
    const report = JSON.parse(hoptrace(['replay', both, '--json']).stdout);
    expect(report.flows.map((f: { proto: string }) => f.proto).sort()).toEqual(['icmp', 'tcp']);
  });

  it('writes every frame, and comments the frames of the kept flow only', () => {
    const out = path.join(dir, 'icmp-only.pcapng');
    const run = hoptrace(['replay', both, '--filter', 'icmp', '--json', '--pcapng', out]);
    const report = JSON.parse(run.stdout);
    expect(report.flows.map((f: { proto: string }) => f.proto)).toEqual(['icmp']);
    const icmpId = report.flows[0].id;
    const written = rows(out);
    expect(written).toHaveLength(rows(both).length);
    const icmp = written.filter((r) => r.proto === '1');
    const tcp = written.filter((r) => r.proto === '6');
    expect(icmp.length).toBe(24);
    expect(tcp.length).toBeGreaterThan(0);
    for (const r of icmp) expect(r.comment).toMatch(new RegExp(`^flow ${icmpId} journey \\d+ (request|reply) · hop \\d`));
    for (const r of tcp) expect(r.comment).toBe('');
  });

  it('without a filter both flows are commented (the control)', () => {
    const out = path.join(dir, 'all.pcapng');
    hoptrace(['replay', both, '--pcapng', out]);
    const written = rows(out).filter((r) => r.proto === '6');
    expect(written.length).toBeGreaterThan(0);
    for (const r of written) expect(r.comment).toMatch(/^flow \d+ journey \d+ (request|reply) · hop \d/);
  });

  it('the filtered export replays to the full report, and with the filter to the filtered one', () => {
    const out = path.join(dir, 'icmp-only-2.pcapng');
    hoptrace(['replay', both, '--filter', 'icmp', '--pcapng', out]);
    expect(hoptrace(['replay', out]).stdout).toBe(hoptrace(['replay', both]).stdout);
    expect(hoptrace(['replay', out, '--filter', 'icmp']).stdout).toBe(hoptrace(['replay', both, '--filter', 'icmp']).stdout);
  });
});
