// Debian's tshark reads every fixture exported with --pcapng: interface names are the hop
// names, every packet of a reported flow carries its comment (and no other packet does), the
// comments name the rewrites where they happened, and neither tshark's reader nor its pcapng
// file-format dissector finds a malformed block. A corrupted copy shows both checks can fail.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FIXTURES, TRACE_FIXTURES, hoptraceAsync, scratchDir, tshark, which } from './support.js';

// Each test runs the CLI or tshark several times; a shared, loaded machine needs more than 5 s.
vi.setConfig({ testTimeout: 90_000 });

const haveTshark = which('tshark') !== null;
const dir = scratchDir('tshark');
const exported = new Map<string, { file: string; report: { hops: { name: string }[]; summary: { packetsPerHop: number[] } } }>();

beforeAll(async () => {
  if (!haveTshark) return;
  for (const name of TRACE_FIXTURES) {
    const file = path.join(dir, `${name}.pcapng`);
    const run = await hoptraceAsync(['replay', path.join(FIXTURES, name), '--json', '--pcapng', file]);
    exported.set(name, { file, report: JSON.parse(run.stdout) });
  }
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Row {
  iface: string;
  ifaceId: number;
  comments: string[];
  ip: boolean;
  src: string;
}

function rows(file: string): Row[] {
  const out = tshark(['-r', file, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=|',
    '-e', 'frame.interface_name', '-e', 'frame.interface_id', '-e', 'frame.comment', '-e', 'ip.src']);
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
  return out.stdout
    .trimEnd()
    .split('\n')
    .map((line: string) => {
      const [iface, id, comment, src] = line.split('\t');
      return { iface, ifaceId: Number(id), comments: comment ? comment.split('|') : [], ip: Boolean(src), src: src ?? '' };
    });
}

/** Problems tshark's pcapng file-format dissector finds in the blocks themselves. */
function blockProblems(file: string): string {
  const out = tshark(['-r', file, '-X', 'read_format:MIME Files Format', '-q', '-z', 'expert']);
  return `${out.stdout.trim()}${out.stderr}`;
}

describe.skipIf(!haveTshark)('tshark reads the pcapng that --pcapng writes', () => {
  for (const name of TRACE_FIXTURES) {
    it(`${name}: one interface per hop named after it, the hop's packet count on each, no malformed block`, () => {
      const { file, report } = exported.get(name)!;
      const all = rows(file);
      const names = report.hops.map((h) => h.name);
      const perHop = names.map((n) => all.filter((r) => r.iface === n).length);
      expect(perHop).toEqual(report.summary.packetsPerHop);
      expect(all.every((r) => names.indexOf(r.iface) === r.ifaceId)).toBe(true);
      expect(blockProblems(file)).toBe('');
      const dissected = tshark(['-r', file, '-o', 'tcp.analyze_sequence_numbers:FALSE', '-o', 'tcp.desegment_tcp_streams:FALSE', '-q', '-z', 'expert']);
      expect(dissected.stdout).not.toMatch(/Malformed/);
    });
  }

  // In these recordings every IP packet is the traced container's flow; the rest is ARP.
  for (const name of ['ping-out', 'tcp-out', 'dns-unreachable', 'published-port', 'container-to-container', 'user-bridge', 'ip-forward-off', 'no-masquerade', 'ping-ignored', 'syn-unanswered']) {
    it(`${name}: every IP packet has its two comments, the person's line and the key=value fields; ARP has none`, () => {
      const all = rows(exported.get(name)!.file);
      for (const r of all) {
        if (!r.ip) {
          expect(r.comments).toEqual([]);
          continue;
        }
        expect(r.comments).toHaveLength(2);
        expect(r.comments[0]).toMatch(new RegExp(`^flow 1 journey \\d+ (request|reply) · hop ${r.ifaceId + 1} ${r.iface.replace(/[.]/g, '\\.')}( · |$)`));
        expect(r.comments[1]).toMatch(new RegExp(`^hoptrace: flow=1 journey=\\d+ direction=(request|reply) hop=${r.ifaceId} step=\\d/\\d`));
      }
    });
  }

  it('shared-bridge: c1\'s 32 packets are commented, c2\'s 16 on the shared hops are not (its flow is left out)', () => {
    const all = rows(exported.get('shared-bridge')!.file);
    expect(all.filter((r) => r.comments.length === 2)).toHaveLength(32);
    expect(all.filter((r) => r.comments.length === 0)).toHaveLength(16);
    expect(all.filter((r) => r.comments.length === 0).every((r) => r.iface === 'docker0' || r.iface === 'eth0')).toBe(true);
  });

  it('udp-no-snat-busy: c1\'s 8 queries are commented, c2\'s 32 pings on the shared hops are not', () => {
    const all = rows(exported.get('udp-no-snat-busy')!.file);
    const commented = all.filter((r) => r.comments.length === 2);
    expect(commented).toHaveLength(8);
    expect(commented.every((r) => r.src === '198.18.0.2')).toBe(true);
    expect(all.filter((r) => r.comments.length === 0)).toHaveLength(32);
  });

  it('ping-out: the SNAT is on the uplink\'s requests and its undoing on docker0\'s replies, nowhere else', () => {
    const all = rows(exported.get('ping-out')!.file);
    const snat = all.filter((r) => r.comments[0]?.includes('NAT'));
    expect(snat.map((r) => `${r.iface}: ${r.comments[0].replace(/^flow 1 journey \d+ /, '')}`)).toEqual([
      ...[1, 2, 3].flatMap(() => [
        'eth0: request · hop 4 eth0 · SNAT src 198.18.0.2 -> 203.0.113.1 since docker0',
        'docker0: reply · hop 3 docker0 · un-SNAT dst 203.0.113.1 -> 198.18.0.2 since eth0',
      ]),
    ]);
    expect(snat.filter((r) => r.iface === 'eth0').every((r) => r.comments[1].endsWith('prev_hop=2 src=198.18.0.2>203.0.113.1'))).toBe(true);
  });

  it('published-port: the DNAT of the inbound requests is named between eth0 and docker0', () => {
    const all = rows(exported.get('published-port')!.file);
    const dnat = all.filter((r) => r.comments[0]?.includes('DNAT dst'));
    expect(dnat.length).toBeGreaterThan(0);
    expect(dnat.every((r) => r.iface === 'docker0' && r.comments[0].endsWith('DNAT dst 203.0.113.1 -> 198.18.0.2, DNAT dport 8080 -> 80 since eth0'))).toBe(true);
  });

  it('container-to-container: no packet is said to be rewritten', () => {
    const all = rows(exported.get('container-to-container')!.file);
    expect(all.filter((r) => r.comments.length === 2)).toHaveLength(30);
    expect(all.some((r) => /NAT|since/.test(r.comments[0] ?? ''))).toBe(false);
  });

  it('ip-forward-off: the two requests lost before the uplink end with "vanished" on their docker0 sighting; the last says it was still on its way', async () => {
    const all = rows(exported.get('ip-forward-off')!.file);
    const vanished = all.filter((r) => r.comments[0]?.includes('vanished'));
    expect(vanished.map((r) => r.iface)).toEqual(['docker0', 'docker0']);
    expect(vanished.every((r) => r.comments[0].endsWith('hop 3 docker0 · not seen at eth0: vanished between docker0 and eth0'))).toBe(true);
    expect(vanished.every((r) => r.comments[1].endsWith('vanished=2-3'))).toBe(true);
    expect(all.filter((r) => r.iface === 'docker0' && !r.comments[0].includes('vanished')).map((r) => r.comments)).toEqual([
      ['flow 1 journey 3 request · hop 3 docker0 · still on its way from docker0 to eth0 when the capture ended', 'hoptrace: flow=1 journey=3 direction=request hop=2 step=3/3 prev_hop=1 in_flight=2-3'],
    ]);
    // Only the fixtures whose report has a packet in flight (the last packet of the files short
    // of its path's end): no other comment of any fixture's export speaks of the capture's end.
    const withInFlightRequest = new Set(['ip-forward-off', 'forward-off-fast', 'partial-loss', 'reply-dropped']);
    for (const [name, { file }] of exported) {
      // One tshark run per fixture: give the test worker's event loop a turn between them.
      await new Promise((resolve) => setImmediate(resolve));
      const ended = rows(file).filter((r) => r.comments.join().includes('when the capture ended'));
      expect(ended.length, name).toBe(withInFlightRequest.has(name) ? 1 : 0);
    }
  });

  it('a copy with one block trailer changed is refused by tshark and flagged by its pcapng dissector (the checks above can fail)', () => {
    const bytes = fs.readFileSync(exported.get('ping-out')!.file);
    for (let o = 0; o < bytes.length; o += bytes.readUInt32LE(o + 4)) {
      if (bytes.readUInt32LE(o) !== 6) continue;
      bytes.writeUInt32LE(bytes.readUInt32LE(o + 4) + 4, o + bytes.readUInt32LE(o + 4) - 4);
      break;
    }
    const bad = path.join(dir, 'bad.pcapng');
    fs.writeFileSync(bad, bytes);
    expect(tshark(['-r', bad]).stderr).toMatch(/appears to be damaged or corrupt/);
    expect(blockProblems(bad)).toMatch(/Block length in trailer differs from block length in header/);
  });
});

if (!haveTshark) {
  describe('tshark reads the pcapng that --pcapng writes', () => {
    it.skip('skipped: tshark is not installed (apt-get install tshark, or scripts/setup.sh)', () => undefined);
  });
}
