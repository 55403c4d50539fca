import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCaptureFile } from '../../src/capture/files/open.js';
import { PcapWriter } from '../../src/capture/live/pcap-writer.js';
import { hopFileName, pathJson, TraceRecorder } from '../../src/capture/live/recorder.js';
import type { Frame, Hop } from '../../src/model.js';

const dir = mkdtempSync(join(tmpdir(), 'hoptrace-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An Ethernet + IPv4 + ICMP echo request, 198.18.0.2 -> 203.0.113.2, seq 7. */
function echoFrame(hop: number, tsSec: number, tsNsec: number): Frame {
  const data = Buffer.alloc(14 + 20 + 8);
  data.writeUInt16BE(0x0800, 12);
  data.set([0x45, 0, 0, 28, 0x12, 0x34, 0x40, 0, 64, 1, 0, 0, 198, 18, 0, 2, 203, 0, 113, 2], 14);
  data.set([8, 0, 0, 0, 0, 42, 0, 7], 34);
  return { hop, linkType: 1, tsSec, tsNsec, data, origLen: data.length };
}

describe('the pcap writer of --record', () => {
  it('writes nanosecond pcap that hoptrace reads back record for record', () => {
    const file = join(dir, 'ns.pcap');
    const writer = new PcapWriter(file, 1);
    writer.write(echoFrame(0, 1795461640, 878663729));
    writer.write(echoFrame(0, 1795461640, 999999999));
    writer.close();
    const reader = openCaptureFile(file);
    expect(reader.format).toBe('pcap-ns');
    const first = reader.next()!;
    expect([first.tsSec, first.tsNsec, first.origLen, first.linkType]).toEqual([1795461640, 878663729, 42, 1]);
    expect(Buffer.from(first.data)).toEqual(echoFrame(0, 0, 0).data);
    expect(reader.next()!.tsNsec).toBe(999999999);
    expect(reader.next()).toBeNull();
    reader.close();
  });

  it('leaves a readable file after every flush, before close', () => {
    const file = join(dir, 'flushed.pcap');
    const writer = new PcapWriter(file, 1);
    writer.write(echoFrame(0, 10, 0));
    expect(readFileSync(file).length).toBe(24);
    writer.flush();
    expect(readFileSync(file).length).toBe(24 + 16 + 42);
    writer.close();
  });

  it.skipIf(spawnSync('sh', ['-c', 'command -v tcpdump']).status !== 0)('is read by tcpdump with nanosecond time', () => {
    const file = join(dir, 'tcpdump.pcap');
    const writer = new PcapWriter(file, 1);
    writer.write(echoFrame(0, 1795461640, 878663729));
    writer.close();
    const out = spawnSync('tcpdump', ['-nn', '-r', file, '--nano', '-tt'], { encoding: 'utf8' }).stdout;
    expect(out).toBe('1795461640.878663729 IP 198.18.0.2 > 203.0.113.2: ICMP echo request, id 42, seq 7, length 8\n');
  });

  it('writes path.json in the trace-directory format replay reads, hops in path order', () => {
    const hops: Hop[] = [
      { name: 'c1 eth0', role: 'container', netns: 'container:c1', iface: 'eth0', addrs: ['198.18.0.2'], mtu: 1500 },
      { name: 'docker0', role: 'bridge', netns: 'host', iface: 'docker0', addrs: ['198.18.0.1'] },
    ];
    expect(hopFileName(0, hops[0]!)).toBe('01-c1-eth0.pcap');
    expect(JSON.parse(pathJson('ping c1', hops))).toEqual({
      description: 'ping c1',
      hops: [
        { file: '01-c1-eth0.pcap', name: 'c1 eth0', role: 'container', netns: 'container:c1', iface: 'eth0', addrs: ['198.18.0.2'] },
        { file: '02-docker0.pcap', name: 'docker0', role: 'bridge', netns: 'host', iface: 'docker0', addrs: ['198.18.0.1'] },
      ],
    });
    const recorder = new TraceRecorder(join(dir, 'trace'), hops, 'ping c1');
    recorder.open(0, 1);
    recorder.open(1, 1);
    recorder.write(echoFrame(1, 20, 5));
    expect(JSON.parse(readFileSync(join(dir, 'trace', 'path.json'), 'utf8')).stoppedAt).toBeUndefined();
    recorder.close(1795461641.25);
    expect(JSON.parse(readFileSync(join(dir, 'trace', 'path.json'), 'utf8')).stoppedAt).toBe(1795461641.25);
    const reader = openCaptureFile(join(dir, 'trace', '02-docker0.pcap'));
    expect(reader.next()!.tsNsec).toBe(5);
    reader.close();
  });
});
