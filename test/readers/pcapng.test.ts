import { afterAll, describe, expect, it } from 'vitest';
import { CaptureFileError } from '../../src/errors.js';
import { type CaptureRecord, openCaptureFile } from '../../src/capture/files/open.js';
import { PcapngBuilder, payload, readAll, scratchDir } from './builders.js';

const dir = scratchDir();
afterAll(() => dir.remove());

function read(name: string, bytes: Uint8Array) {
  const file = dir.write(name, bytes);
  const reader = openCaptureFile(file);
  const records = readAll(reader);
  return { file, reader, records };
}

function summary(rec: CaptureRecord) {
  return { iface: rec.iface, linkType: rec.linkType, tsSec: rec.tsSec, tsNsec: rec.tsNsec, len: rec.data.length, origLen: rec.origLen, first: rec.data[0] };
}

function refusal(bytes: Uint8Array): string {
  const file = dir.write('refused.pcapng', bytes);
  try {
    readAll(openCaptureFile(file));
  } catch (err) {
    expect(err).toBeInstanceOf(CaptureFileError);
    return (err as Error).message.replace(`${file}: `, '');
  }
  throw new Error('the file was read without an error');
}

// 2023-11-14 22:13:20 UTC, in the units each test needs.
const SEC = 1700000000n;

describe('a pcapng file', () => {
  it.each([true, false])('gives packets of interfaces with different link types (little-endian %s)', (littleEndian) => {
    const bytes = new PcapngBuilder()
      .section({ littleEndian })
      .iface({ linkType: 1, snaplen: 96, name: 'eth0' })
      .iface({ linkType: 101, snaplen: 0 })
      .epb({ iface: 0, ts: SEC * 1000000n + 5n, data: payload(96, 1), origLen: 314 })
      .epb({ iface: 1, ts: SEC * 1000000n + 6n, data: payload(41, 2) })
      .build();
    const { reader, records } = read(`two-ifaces-${littleEndian}.pcapng`, bytes);
    expect(reader.format).toBe('pcapng');
    expect(reader.interfaces()).toEqual([
      { id: 0, linkType: 1, snaplen: 96, section: 0, offset: 28, name: 'eth0' },
      { id: 1, linkType: 101, snaplen: 0, section: 0, offset: 28 + 32 },
    ]);
    expect(records.map(summary)).toEqual([
      { iface: 0, linkType: 1, tsSec: 1700000000, tsNsec: 5000, len: 96, origLen: 314, first: 1 },
      { iface: 1, linkType: 101, tsSec: 1700000000, tsNsec: 6000, len: 41, origLen: 41, first: 2 },
    ]);
    expect(records.map((r) => r.offset)).toEqual([28 + 32 + 20, 28 + 32 + 20 + 128]);
  });

  it.each([
    ['10^-9 (nanoseconds)', 9, SEC * 1000000000n + 123456789n, 123456789],
    ['10^-3 (milliseconds)', 3, SEC * 1000n + 7n, 7000000],
    ['10^-0 (seconds)', 0, SEC, 0],
    ['2^-20', 0x80 | 20, (SEC << 20n) + (1n << 19n), 500000000],
    ['2^-30', 0x80 | 30, (SEC << 30n) + 3n, 2],
  ])('honours if_tsresol %s to the nanosecond', (_, tsresol, ts, nsec) => {
    const bytes = new PcapngBuilder().section().iface({ tsresol }).epb({ ts, data: payload(20) }).build();
    const { records } = read(`tsresol-${tsresol}.pcapng`, bytes);
    expect([records[0].tsSec, records[0].tsNsec]).toEqual([1700000000, nsec]);
  });

  it('honours if_tsresol 10^-12 (a 64-bit count of picoseconds spans only 213 days)', () => {
    const ts = 10000n * 10n ** 12n + 1500n;
    const bytes = new PcapngBuilder().section().iface({ tsresol: 12 }).epb({ ts, data: payload(20) }).build();
    const { records } = read('tsresol-12.pcapng', bytes);
    expect([records[0].tsSec, records[0].tsNsec]).toEqual([10000, 1]);
  });

  it('adds if_tsoffset seconds to every timestamp of the interface', () => {
    const bytes = new PcapngBuilder().section().iface({ tsoffset: 100n }).epb({ ts: 5000001n, data: payload(20) }).build();
    expect(read('tsoffset.pcapng', bytes).records.map((r) => [r.tsSec, r.tsNsec])).toEqual([[105, 1000]]);
  });

  it('reads timestamps past 2106 (more than 32 bits of seconds)', () => {
    const bytes = new PcapngBuilder().section().iface().epb({ ts: 4323283200n * 1000000n, data: payload(20) }).build();
    expect(read('2107.pcapng', bytes).records[0].tsSec).toBe(4323283200);
  });

  it('gives Simple Packet Blocks to the first interface, cut to its snaplen, at the time of the packet before', () => {
    const bytes = new PcapngBuilder()
      .section()
      .iface({ snaplen: 64 })
      .spb({ data: payload(60, 1) })
      .epb({ ts: 3000000n, data: payload(30, 2) })
      .spb({ data: payload(64, 3), origLen: 342 })
      .build();
    const { file, reader, records } = read('spb.pcapng', bytes);
    expect(records.map(summary)).toEqual([
      { iface: 0, linkType: 1, tsSec: 0, tsNsec: 0, len: 60, origLen: 60, first: 1 },
      { iface: 0, linkType: 1, tsSec: 3, tsNsec: 0, len: 30, origLen: 30, first: 2 },
      { iface: 0, linkType: 1, tsSec: 3, tsNsec: 0, len: 64, origLen: 342, first: 3 },
    ]);
    expect(reader.warnings).toEqual([
      { file, offset: 48, message: 'simple packet blocks carry no timestamp; each is given the time of the packet before it' },
    ]);
  });

  it('reads the obsolete Packet Block (type 2)', () => {
    const bytes = new PcapngBuilder()
      .section()
      .iface({ linkType: 1 })
      .iface({ linkType: 113 })
      .packetBlock({ iface: 1, ts: 2500000n, data: payload(50, 4), origLen: 60 })
      .build();
    expect(read('pb.pcapng', bytes).records.map(summary)).toEqual([
      { iface: 1, linkType: 113, tsSec: 2, tsNsec: 500000000, len: 50, origLen: 60, first: 4 },
    ]);
  });

  it('skips blocks it does not know by their length (NRB, ISB, custom, made-up types)', () => {
    const bytes = new PcapngBuilder()
      .section()
      .block(0x00000bad, payload(13))
      .iface()
      .block(4, payload(20))
      .block(5, payload(28))
      .epb({ ts: 1n, data: payload(20, 7) })
      .block(0x7fffffff, payload(100))
      .block(0x40000bad, Buffer.alloc(0))
      .epb({ ts: 2n, data: payload(20, 8) })
      .build();
    expect(read('unknown-blocks.pcapng', bytes).records.map((r) => r.data[0])).toEqual([7, 8]);
  });

  it('starts interface ids again in every section, and follows each section byte order', () => {
    const bytes = new PcapngBuilder()
      .section({ littleEndian: true })
      .iface({ linkType: 1, name: 'eth0' })
      .epb({ iface: 0, ts: 1000000n, data: payload(20, 1) })
      .section({ littleEndian: false })
      .iface({ linkType: 0, name: 'lo' })
      .iface({ linkType: 1, name: 'eth0', tsresol: 9 })
      .epb({ iface: 1, ts: 2000000001n, data: payload(20, 2) })
      .epb({ iface: 0, ts: 3000000n, data: payload(20, 3) })
      .section({ littleEndian: true })
      .iface({ linkType: 229 })
      .epb({ iface: 0, ts: 4000000n, data: payload(20, 4) })
      .build();
    const { reader, records } = read('sections.pcapng', bytes);
    expect(reader.interfaces().map((i) => [i.section, i.id, i.linkType, i.name])).toEqual([
      [0, 0, 1, 'eth0'],
      [1, 0, 0, 'lo'],
      [1, 1, 1, 'eth0'],
      [2, 0, 229, undefined],
    ]);
    expect(records.map((r) => [r.iface, r.linkType, r.tsSec, r.tsNsec, r.data[0]])).toEqual([
      [0, 1, 1, 0, 1],
      [2, 1, 2, 1, 2],
      [1, 0, 3, 0, 3],
      [3, 229, 4, 0, 4],
    ]);
  });

  it('with a section header and nothing else is an empty capture', () => {
    const { reader, records } = read('shb-only.pcapng', new PcapngBuilder().section().build());
    expect(records).toEqual([]);
    expect(reader.warnings).toEqual([]);
  });

  it('cut inside a block is read up to the cut, with a warning at that block', () => {
    const whole = new PcapngBuilder().section().iface().epb({ ts: 1n, data: payload(20) }).epb({ ts: 2n, data: payload(90) }).build();
    const { file, reader, records } = read('cut.pcapng', whole.subarray(0, whole.length - 30));
    expect(records.length).toBe(1);
    expect(reader.warnings).toEqual([{ file, offset: 28 + 20 + 52, message: 'capture ends mid-record (truncated file?); read 1 records' }]);
  });

  it('cut inside a block header is read up to the cut', () => {
    const whole = new PcapngBuilder().section().iface().epb({ ts: 1n, data: payload(20) }).build();
    const { reader, records } = read('cut-header.pcapng', Buffer.concat([whole, Buffer.from([6, 0, 0])]));
    expect(records.length).toBe(1);
    expect(reader.warnings[0]).toMatchObject({ offset: whole.length, message: 'capture ends mid-record (truncated file?); read 1 records' });
  });

  it('with a packet block larger than a read chunk reads it whole', () => {
    const big = payload(3 * 1024 * 1024, 5);
    const bytes = new PcapngBuilder().section().iface().epb({ ts: 1n, data: payload(10) }).epb({ ts: 2n, data: big }).build();
    const { records } = read('big-block.pcapng', bytes);
    expect(records.length).toBe(2);
    expect(Buffer.from(records[1].data).equals(big)).toBe(true);
  });
});

describe('a broken pcapng file is refused at the block that breaks it', () => {
  const start = () => new PcapngBuilder().section().iface();

  it('when the trailing block length differs from the leading one', () => {
    const bytes = start().block(6, payload(40), { trailer: 99 }).build();
    expect(refusal(bytes)).toBe('offset 48: block total length in header 52 and trailer 99 don\'t match');
  });

  it('when a block length is not a multiple of 4', () => {
    expect(refusal(start().block(6, payload(40), { header: 50 }).build())).toBe('offset 48: block length 50 is not a multiple of 4');
  });

  it('when a block length is below the 12-byte minimum', () => {
    expect(refusal(start().block(6, payload(40), { header: 8 }).build())).toBe('offset 48: block length 8 is less than the minimum of 12');
  });

  it('when a block length is absurd', () => {
    const bytes = start().block(6, payload(40), { header: 0x40000000 }).build();
    expect(refusal(bytes)).toBe('offset 48: block length 1073741824 exceeds the limit of 16777216 bytes');
  });

  it('when a packet names an interface the section does not define', () => {
    const bytes = start().epb({ iface: 1, ts: 1n, data: payload(20) }).build();
    expect(refusal(bytes)).toBe('offset 48: packet refers to interface 1, but this section defines 1 interface');
  });

  it('when a packet says it holds more bytes than its block', () => {
    const bytes = start().epb({ ts: 1n, data: payload(20), caplen: 21 }).build();
    expect(refusal(bytes)).toBe('offset 48: captured length 21 exceeds the block\'s 20 bytes of packet data');
  });

  it('when a simple packet block comes before any interface', () => {
    expect(refusal(new PcapngBuilder().section().spb({ data: payload(20) }).build())).toBe(
      'offset 28: packet refers to interface 0, but this section defines 0 interfaces',
    );
  });

  it.each([
    [[0, 1], 'unsupported pcapng savefile version 0.1'],
    [[1, 1], 'unsupported pcapng savefile version 1.1'],
    [[2, 0], 'unsupported pcapng savefile version 2.0'],
  ])('when the section header says version %j', (version, problem) => {
    expect(refusal(new PcapngBuilder().section({ version: version as [number, number] }).build())).toBe(`offset 0: ${problem}`);
  });

  it('when a later section has no byte-order magic', () => {
    const bytes = start().section({ bom: 0x12345678 }).build();
    expect(refusal(bytes)).toBe('offset 48: section header block has no byte-order magic (0x1a2b3c4d in either order)');
  });

  it('when an interface option runs past its block', () => {
    const option = Buffer.from([2, 0, 200, 0, 0x65, 0x74, 0x68, 0x30]);
    const bytes = new PcapngBuilder().section().block(1, Buffer.concat([Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]), option])).build();
    expect(refusal(bytes)).toBe('offset 28: interface option 2 length 200 runs past the end of the block');
  });

  it('when if_tsresol asks for a resolution finer than 10^-19', () => {
    expect(refusal(start().section().iface({ tsresol: 20 }).build())).toBe('offset 76: if_tsresol 10^-20 is finer than supported');
  });
});
