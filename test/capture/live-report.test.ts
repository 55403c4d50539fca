// What a live trace says about its own capture, from the values a capture hands over (no
// capture here): the kernel's counters per hop in the report (JSON hops, text packets-per-hop
// line, warnings), the timestamp note in the precision the captures were opened with, the
// probe's line with an IPv6 destination, and the ring option.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import type { Hop } from '../../src/model.js';
import type { FrameSource, HopStatus } from '../../src/source.js';
import { runTrace } from '../../src/pipeline/run-trace.js';
import { DEFAULTS } from '../../src/pipeline/options.js';
import { renderJson } from '../../src/render/json.js';
import { renderText } from '../../src/render/text.js';
import { kernelLossWarning, timestampNote } from '../../src/capture/live/live-session.js';
import { RING_PACKETS } from '../../src/capture/live/netns-capture.js';
import { summariseProbe } from '../../src/capture/live/traffic.js';

const ROOT = path.join(__dirname, '..', '..');
const HOPS: Hop[] = [
  { name: 'c1 eth0', role: 'container', addrs: ['198.18.0.2'] },
  { name: 'eth0', role: 'uplink', addrs: ['203.0.113.1'] },
];

/** A source of no frames whose hops report what a live capture would. */
function quietSource(status: HopStatus[], timestamps: string): FrameSource {
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  return { hops: HOPS, notes: [], timestamps, start: async () => undefined, ended, stop: () => end(), hopStatus: () => status, warnings: () => [] };
}

describe('kernel counters in the report', () => {
  const status: HopStatus[] = [{ packets: 6, kernel: { received: 6, dropped: 0, ifDropped: 0 } }, { packets: 4, kernel: { received: 9, dropped: 5, ifDropped: 2 } }];

  it('puts each hop its counters in the JSON hops, valid against the schema', async () => {
    const session = await runTrace(quietSource(status, 'kernel stamps'));
    session.stop();
    const report = await session.report;
    const doc = JSON.parse(renderJson(report));
    expect(doc.hops.map((h: { kernel?: unknown }) => h.kernel)).toEqual([
      { received: 6, dropped: 0, ifDropped: 0 },
      { received: 9, dropped: 5, ifDropped: 2 },
    ]);
    expect(doc.summary.timestamps).toBe('kernel stamps');
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'report.schema.json'), 'utf8'));
    const validate = new Ajv2020({ strict: false }).compile(schema);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    doc.hops[1].kernel.dropped = -1;
    expect(validate(doc)).toBe(false);
  });

  it('says them after each hop its packet count in the text, and nothing for a hop without them', async () => {
    const session = await runTrace(quietSource([status[0]!, { packets: 0 }], 'kernel stamps'));
    session.stop();
    const text = renderText(await session.report, { color: false });
    expect(text.split('\n')[1]).toBe('packets per hop: c1 eth0 0 (kernel: 6 received, 0 dropped), eth0 0');
    const lossy = await runTrace(quietSource(status, 'kernel stamps'));
    lossy.stop();
    expect(renderText(await lossy.report, { color: false }).split('\n')[1]).toBe(
      'packets per hop: c1 eth0 0 (kernel: 6 received, 0 dropped), eth0 0 (kernel: 9 received, 5 dropped, 2 dropped by the interface)',
    );
  });

  it('warns of a hop the kernel counted loss on, and only then', () => {
    expect(kernelLossWarning(HOPS[0]!, { received: 6, dropped: 0, ifDropped: 0 })).toBeUndefined();
    expect(kernelLossWarning(HOPS[1]!, { received: 3000, dropped: 2900, ifDropped: 0 })).toBe('eth0: 2900 of 3000 packets dropped by the kernel before the capture read them');
    expect(kernelLossWarning(HOPS[1]!, { received: 10, dropped: 0, ifDropped: 3 })).toBe('eth0: 3 dropped by the interface');
    expect(kernelLossWarning(HOPS[1]!, { received: 10, dropped: 1, ifDropped: 3 })).toBe('eth0: 1 of 10 packets dropped by the kernel before the capture read them, 3 dropped by the interface');
  });

  it('says counts a capture sent before it ended abruptly are lower bounds', () => {
    expect(kernelLossWarning(HOPS[1]!, { received: 10, dropped: 4, ifDropped: 0 }, false)).toBe(
      'eth0: at least 4 packets dropped by the kernel before the capture read them (its last count before the capture ended)',
    );
    expect(kernelLossWarning(HOPS[1]!, { received: 10, dropped: 4, ifDropped: 2 }, false)).toBe(
      'eth0: at least 4 packets dropped by the kernel before the capture read them, at least 2 dropped by the interface (its last count before the capture ended)',
    );
    expect(kernelLossWarning(HOPS[1]!, { received: 10, dropped: 0, ifDropped: 0 }, false)).toBeUndefined();
  });

  it('leaves a replay report without them', async () => {
    const session = await runTrace(quietSource([{ packets: 0 }, { packets: 0 }], 'files'));
    session.stop();
    expect(JSON.parse(renderJson(await session.report)).hops.every((h: object) => !('kernel' in h))).toBe(true);
  });
});

describe('the live timestamp note', () => {
  const tail = "on the host's one real-time clock, as tcpdump takes them";
  it('names the precision the captures were opened with', () => {
    expect(timestampNote(HOPS, ['nano', 'nano'])).toBe(`taken by the kernel as each hop's capture saw the packet (libpcap's packet header, in nanoseconds), ${tail}`);
    expect(timestampNote(HOPS, ['micro', 'micro'])).toBe(`taken by the kernel as each hop's capture saw the packet (libpcap's packet header, in microseconds), ${tail}`);
    expect(timestampNote(HOPS, ['nano', 'micro'])).toBe(
      `taken by the kernel as each hop's capture saw the packet (libpcap's packet header, in nanoseconds at c1 eth0, microseconds at eth0), ${tail}`,
    );
  });

  it('claims no unit while a hop is not open', () => {
    expect(timestampNote(HOPS, [])).toBe(`taken by the kernel as each hop's capture saw the packet (libpcap's packet header), ${tail}`);
    expect(timestampNote(HOPS, ['nano'])).toBe(`taken by the kernel as each hop's capture saw the packet (libpcap's packet header), ${tail}`);
  });
});

describe('the probe line', () => {
  const out = '{"ok":true,"outcome":"connected","ms":1.25}\n';
  it('brackets an IPv6 destination before its port', () => {
    expect(summariseProbe({ mode: 'tcp', host: '2001:db8::2', port: 80, timeoutMs: 1000 }, out)).toBe('TCP connect to [2001:db8::2]:80: connected after 1.3 ms');
    expect(summariseProbe({ mode: 'udp', host: 'fd00:18:1::5', port: 9, timeoutMs: 1000 }, out)).toBe('UDP datagram to [fd00:18:1::5]:9: connected after 1.3 ms');
  });

  it('leaves an IPv4 destination as it is', () => {
    expect(summariseProbe({ mode: 'tcp', host: '203.0.113.2', port: 80, timeoutMs: 1000 }, out)).toBe('TCP connect to 203.0.113.2:80: connected after 1.3 ms');
  });
});

describe('the ring option', () => {
  it('defaults to the capture default', () => {
    expect(DEFAULTS.ringPackets).toBe(RING_PACKETS);
  });

  it.each([
    [['--buffer-mib', '64'], "hoptrace: --buffer-mib is no longer taken: libpcap's ring per hop is sized in packets now, --ring-packets <n> (default 32768)\n"],
    [['--ring-packets', '10'], "hoptrace: --ring-packets must be a whole number from 64 to 1048576, not '10'\n"],
    [['--ring-packets', '1000.5'], "hoptrace: --ring-packets must be a whole number from 64 to 1048576, not '1000.5'\n"],
  ])('refuses %j before anything else, exit 2', (args, stderr) => {
    const result = spawnSync('node', [path.join(ROOT, 'bin', 'hoptrace.js'), 'ping', 'c1', '203.0.113.2', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect({ code: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({ code: 2, stdout: '', stderr });
  });
});
