// epb_flags where the capture knows the direction (Linux cooked headers), none where it does
// not; and an output file that cannot be written is one error line with exit code 2.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { PcapngExport, captureDirection } from '../../src/export/pcapng-export.js';
import { type Frame, LinkType } from '../../src/model.js';
import { hoptrace, scratchDir, tshark, which } from './support.js';

// Each test runs the CLI or tshark several times; a shared, loaded machine needs more than 5 s.
vi.setConfig({ testTimeout: 90_000 });

const dir = scratchDir('flags');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A LINUX_SLL2 header (packet type at byte 10) before a minimal IPv4 header. */
function sll2(pktType: number): Uint8Array {
  const b = Buffer.alloc(20 + 20);
  b.writeUInt16BE(0x0800, 0);
  b.writeUInt32BE(3, 4);
  b.writeUInt16BE(1, 8);
  b[10] = pktType;
  b[11] = 6;
  b[20] = 0x45;
  b.writeUInt16BE(20, 22);
  b[28] = 64;
  b[29] = 253;
  b.set([198, 18, 0, 2, 203, 0, 113, 2], 32);
  return b;
}

const frame = (linkType: number, data: Uint8Array, n: number): Frame => ({ hop: 0, linkType, tsSec: 1_700_000_000, tsNsec: n, data, origLen: data.length });

describe('epb_flags', () => {
  it('is inbound for a packet the host received, outbound for one it sent, unknown without a cooked header', () => {
    expect(captureDirection(frame(LinkType.LINUX_SLL2, sll2(0), 0))).toBe(1);
    expect(captureDirection(frame(LinkType.LINUX_SLL2, sll2(4), 0))).toBe(2);
    expect(captureDirection(frame(LinkType.ETHERNET, sll2(4), 0))).toBe(0);
  });

  it.skipIf(!which('tshark'))('is what tshark reads back as the packet direction', () => {
    const file = path.join(dir, 'flags.pcapng');
    const out = new PcapngExport(file, [{ name: 'any', role: 'host', addrs: [] }]);
    [sll2(0), sll2(4), sll2(1)].forEach((data, n) => out.frame(frame(LinkType.LINUX_SLL2, data, n)));
    out.frame(frame(LinkType.RAW, sll2(0).subarray(20), 9));
    out.close();
    const read = tshark(['-r', file, '-T', 'fields', '-e', 'frame.packet_flags_direction']);
    expect(read.stderr).toBe('');
    expect(read.stdout.replace(/\n$/, '').split('\n')).toEqual(['0x00000001', '0x00000002', '0x00000001', '']);
  });
});

describe('an output file that cannot be written', () => {
  for (const option of ['--pcapng', '--html']) {
    it(`${option}: one line naming the file, exit code 2`, () => {
      const run = hoptrace(['replay', 'fixtures/ping-out', option, '/nonexistent-dir/out']);
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(`hoptrace: ${option}: cannot write /nonexistent-dir/out: no directory /nonexistent-dir\n`);
    });
  }
});
