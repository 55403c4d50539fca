// The block builders, read back by hoptrace's own pcapng reader: nanosecond timestamps kept
// exactly, options padded so the next block is where its length says, a hop whose frames
// change link type described twice under one name and still replayed as one hop.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCaptureFile } from '../../src/capture/files/open.js';
import { readHoptraceDescription } from '../../src/capture/files/pcapng-hops.js';
import { EpbDirection, PcapngFile, enhancedPacketBlock, interfaceDescriptionBlock, nanosecondHalves, packetComments, sectionHeaderBlock, withPacketComments } from '../../src/capture/files/pcapng-writer.js';
import { openTrace } from '../../src/capture/trace.js';
import { PcapngExport } from '../../src/export/pcapng-export.js';
import { type Frame, type Hop, LinkType } from '../../src/model.js';
import { scratchDir } from './support.js';

const dir = scratchDir('writer');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const hops: Hop[] = [
  { name: 'c1 eth0', role: 'container', netns: 'container:c1', iface: 'eth0', addrs: ['198.18.0.2'] },
  { name: 'br-1 = "x", y', role: 'bridge', netns: 'host', iface: 'br-1', addrs: ['198.18.1.1/24', '2001:db8::1/64'] },
];

function frame(hop: number, tsSec: number, tsNsec: number, linkType: number, size: number): Frame {
  return { hop, linkType, tsSec, tsNsec, data: Uint8Array.from({ length: size }, (_, i) => (i * 7 + hop) & 0xff), origLen: size + 3 };
}

describe('pcapng blocks hoptrace writes', () => {
  it('splits a nanosecond timestamp past 2^53 ns into exact halves', () => {
    const [high, low] = nanosecondHalves(1795461744, 470406123);
    expect(BigInt(high) * 2n ** 32n + BigInt(low)).toBe(1795461744470406123n);
    for (const sec of [0, 1, 4294, 4295, 65535, 65536, 1_700_000_000, 2 ** 32 - 1]) {
      for (const nsec of [0, 1, 705032703, 999_999_999]) {
        const [h, l] = nanosecondHalves(sec, nsec);
        expect(BigInt(h) * 2n ** 32n + BigInt(l)).toBe(BigInt(sec) * 1_000_000_000n + BigInt(nsec));
        expect(l).toBeLessThan(2 ** 32);
      }
    }
  });

  it('pads every option and packet to 4 bytes and puts the length at both ends', () => {
    const shb = sectionHeaderBlock([[1, 'abcde']]);
    const idb = interfaceDescriptionBlock(1, 0, [[2, 'x']]);
    const epb = enhancedPacketBlock({ iface: 0, tsSec: 1, tsNsec: 2, data: Uint8Array.of(1, 2, 3), origLen: 3 }, [[1, 'hi']]);
    for (const b of [shb, idb, epb]) {
      expect(b.length % 4).toBe(0);
      expect(b.readUInt32LE(4)).toBe(b.length);
      expect(b.readUInt32LE(b.length - 4)).toBe(b.length);
    }
  });

  it('is read back frame for frame by hoptrace\'s reader, a link type change adding an interface of the same name', () => {
    const file = path.join(dir, 'two.pcapng');
    const out = new PcapngExport(file, hops, { description: 'two hops\nsecond line' });
    const frames = [frame(0, 1795461744, 470406123, LinkType.ETHERNET, 61), frame(1, 1795461744, 999999999, LinkType.ETHERNET, 60), frame(1, 1795461745, 1, LinkType.RAW, 1)];
    for (const f of frames) out.frame(f);
    out.close({ sec: 1795461746, nsec: 500000000 });
    const reader = openCaptureFile(file);
    const records: { iface: number; tsSec: number; tsNsec: number; origLen: number; data: Uint8Array }[] = [];
    for (let r = reader.next(); r; r = reader.next()) records.push({ ...r, data: Uint8Array.from(r.data) });
    expect(reader.interfaces().map((i) => [i.name, i.linkType])).toEqual([['c1 eth0', 1], ['br-1 = "x", y', 1], ['br-1 = "x", y', 101]]);
    reader.close();
    expect(records.map((r) => [r.iface, r.tsSec, r.tsNsec, r.origLen, Buffer.from(r.data).equals(Buffer.from(frames[records.indexOf(r)].data))])).toEqual([
      [0, 1795461744, 470406123, 64, true],
      [1, 1795461744, 999999999, 63, true],
      [2, 1795461745, 1, 4, true],
    ]);
    const trace = openTrace([file]);
    expect(trace.hops).toEqual([
      { ...hops[0], file },
      { ...hops[1], file },
    ]);
    expect(trace.description).toBe('two hops second line');
    expect(trace.stoppedAt).toEqual({ sec: 1795461746, nsec: 500000000 });
    expect([...trace.frames()].map((f) => f.hop)).toEqual([0, 1, 1]);
    expect(readHoptraceDescription(file)?.hops.get('br-1 = "x", y')?.addrs).toEqual(['198.18.1.1/24', '2001:db8::1/64']);
  });

  it('a pcapng with no hoptrace comments is taken as it is: hops named by interface, role other', () => {
    const file = path.join(dir, 'plain.pcapng');
    fs.writeFileSync(file, Buffer.concat([
      sectionHeaderBlock([]),
      interfaceDescriptionBlock(1, 0, [[2, 'a']]),
      interfaceDescriptionBlock(1, 0, [[2, 'b']]),
    ]));
    expect(readHoptraceDescription(file)).toBeNull();
    expect(openTrace([file]).hops.map((h) => [h.name, h.role])).toEqual([['a', 'other'], ['b', 'other']]);
  });
});

describe('a packet block completed after it was written (withPacketComments)', () => {
  it('gets the new comments in place of the old, keeps its bytes and its epb_flags, and is read back at its new length', () => {
    const file = path.join(dir, 'completed.pcapng');
    const out = new PcapngFile(file);
    out.append(sectionHeaderBlock([]));
    out.append(interfaceDescriptionBlock(LinkType.LINUX_SLL, 0, []));
    const data = Uint8Array.from({ length: 45 }, (_, i) => i);
    const at = out.position;
    out.appendPacket(0, 1795461744, 470406123, data, 0, data.length, 60, ['flow 1 journey 1 request · hop 1 a', 'hoptrace: flow=1'], EpbDirection.OUTBOUND);
    out.close();
    const written = fs.readFileSync(file).subarray(at);
    expect(packetComments(written)).toEqual(['flow 1 journey 1 request · hop 1 a', 'hoptrace: flow=1']);
    const longer = ['flow 1 journey 1 request · hop 1 a · why: é'.repeat(3), 'hoptrace: flow=1 cause=drop-rule'];
    const block = withPacketComments(written, longer);
    expect(packetComments(block)).toEqual(longer);
    expect(block.readUInt32LE(4)).toBe(block.length);
    expect(block.readUInt32LE(block.length - 4)).toBe(block.length);
    expect(block.subarray(8, 28 + 45)).toEqual(written.subarray(8, 28 + 45));
    // epb_flags (code 2, 4 bytes, outbound) follows the comments.
    const flagsAt = block.indexOf(Buffer.from([2, 0, 4, 0, EpbDirection.OUTBOUND, 0, 0, 0]), 28 + 48);
    expect(flagsAt).toBeGreaterThan(0);
    const copy = path.join(dir, 'completed-copy.pcapng');
    fs.writeFileSync(copy, Buffer.concat([fs.readFileSync(file).subarray(0, at), block]));
    const reader = openCaptureFile(copy);
    const record = reader.next()!;
    expect([...record.data]).toEqual([...data]);
    expect(record.origLen).toBe(60);
    expect(reader.next()).toBeNull();
  });
});
