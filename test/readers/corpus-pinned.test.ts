// Real captures from other projects' test suites (fixtures/corpus/), checked against what
// those projects recorded: libpcap's refusals, tcpdump's packet lists, the pcapng test
// generator's block counts, Zeek's description of its traces.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CaptureFileError } from '../../src/errors.js';
import { type CaptureRecord, type RecordReader, openCaptureFile } from '../../src/capture/files/open.js';
import { openTrace } from '../../src/capture/trace.js';
import { readAll } from './builders.js';

const corpus = (path: string) => new URL(`../../fixtures/corpus/${path}`, import.meta.url).pathname;

function readFile(path: string): { reader: RecordReader; records: CaptureRecord[] } {
  const reader = openCaptureFile(corpus(path));
  return { reader, records: readAll(reader) };
}

describe("libpcap's reject files", () => {
  // libpcap master's messages, from testprogs/TESTrun at the pinned commit.
  it.each([
    ['pcap-invalid-version-1.pcap', 'unsupported pcap savefile version 1.4'],
    ['pcap-invalid-version-2.pcap', 'unsupported pcap savefile version 2.5'],
    ['linktype-reserved-field-not-zero.pcap', 'savefile linktype reserved field not zero (0x00300000)'],
    ['pcapng-invalid-vers-1.pcapng', 'unsupported pcapng savefile version 0.1'],
    ['pcapng-invalid-vers-2.pcapng', 'unsupported pcapng savefile version 1.1'],
  ])('refuses %s with libpcap\'s message', (name, problem) => {
    const file = corpus(`libpcap/${name}`);
    expect(() => readAll(openCaptureFile(file))).toThrow(new CaptureFileError(file, 0, problem));
  });

  it('refuses shb-option-too-long.pcapng at its section header, whose trailer is already wrong', () => {
    // libpcap does not check the section header's trailer, so it reports the next block
    // ("in header 32 and trailer 808464432", at offset 52). The SHB's own trailer, at
    // offset 48, already reads 0x30303030: the file breaks at offset 0.
    const file = corpus('libpcap/shb-option-too-long.pcapng');
    expect(() => readAll(openCaptureFile(file))).toThrow(
      new CaptureFileError(file, 0, "block total length in header 52 and trailer 808464432 don't match"),
    );
  });
});

/** The packet numbers and time stamps of a tcpdump .out, in the time format it uses. */
function tcpdumpTimes(out: string): { count: number; times: string[] } {
  const lines = readFileSync(corpus(`tcpdump/${out}`), 'utf8').split('\n');
  const numbered = lines.map((line) => /^\s*(\d+)\s\s(\S+(?: \d\d:\d\d:\d\d\.\d+)?)/.exec(line)).filter((m) => m !== null);
  return { count: numbered.length, times: numbered.map((m) => m[2]) };
}

/** Formats a record's time like tcpdump's -tttt (date), default (time of day) or -tt (seconds). */
function asTcpdump(rec: CaptureRecord, like: string): string {
  const digits = like.split('.')[1].length;
  const fraction = String(rec.tsNsec).padStart(9, '0').slice(0, digits);
  if (/^\d+\.\d+$/.test(like)) return `${rec.tsSec}.${fraction}`;
  const iso = new Date(rec.tsSec * 1000).toISOString();
  const clock = `${iso.slice(11, 19)}.${fraction}`;
  return like.includes(' ') ? `${iso.slice(0, 10)} ${clock}` : clock;
}

describe("tcpdump's captures give the packets and times of tcpdump's expected output", () => {
  it.each([
    ['pptp.pcap', 'pptp.out', 'pcap'],
    ['babel.pcap', 'babel1.out', 'pcap'],
    ['tcp-handshake-nano.pcap', 'tcp-handshake-nano.out', 'pcap-ns'],
    ['tcp-handshake-nano.pcap', 'tcp-handshake-micro.out', 'pcap-ns'],
    ['time_2106_max.pcap', 'time_2106_max.out', 'pcap'],
    ['time_2106_overflow.pcapng', 'time_2106_overflow.out', 'pcapng'],
    ['time_2106_overflow.pcapng', 'time_2106_overflow-tt.out', 'pcapng'],
    ['icmp-length-zero.pcapng', 'icmp-length-zero.out', 'pcapng'],
    ['vsock-1.pcapng', 'vsock-1.out', 'pcapng'],
    ['unsupported-link-type-160.pcap', 'unsupported-link-type-160.out', 'pcap'],
    ['empty.pcap', 'empty.out', 'pcap'],
    ['empty.pcapng', 'empty.out', 'pcapng'],
  ])('%s matches %s', (capture, out, format) => {
    const { reader, records } = readFile(`tcpdump/${capture}`);
    const expected = tcpdumpTimes(out);
    expect(reader.format).toBe(format);
    expect(records.length).toBe(expected.count);
    expect(records.map((rec, i) => asTcpdump(rec, expected.times[i]))).toEqual(expected.times);
    expect(reader.warnings).toEqual([]);
  });

  it.each([
    ['timestamp_invalid_micro.pcap', 'timestamp_invalid_micro.out', 'microseconds', 1e6],
    ['timestamp_invalid_nano.pcap', 'timestamp_invalid_nano.out', 'nanoseconds', 1e9],
  ])('%s: the out-of-range fractions tcpdump marks invalid are carried into the seconds', (capture, out, unit, perSecond) => {
    const { reader, records } = readFile(`tcpdump/${capture}`);
    const expected = tcpdumpTimes(out);
    expect(records.length).toBe(expected.count);
    expect(asTcpdump(records[0], expected.times[0])).toBe(expected.times[0]);
    // tcpdump prints "17:16:10.1000000 (invalid us)": 17:16:10 plus the raw fraction.
    const [clock2, raw2] = expected.times[1].split('.');
    const [, raw3] = expected.times[2].split('.');
    const base = records[0].tsSec - (records[0].tsSec % 86400) + hms(clock2);
    expect([records[1].tsSec, records[1].tsNsec]).toEqual([base + Math.floor(Number(raw2) / perSecond), ((Number(raw2) % perSecond) * 1e9) / perSecond]);
    expect([records[2].tsSec, records[2].tsNsec]).toEqual([base + Math.floor(Number(raw3) / perSecond), ((Number(raw3) % perSecond) * 1e9) / perSecond]);
    expect(reader.warnings.map((w) => w.message)).toEqual([`timestamp fraction ${raw2} ${unit} is out of range; carried into the seconds`]);
  });
});

function hms(clock: string): number {
  const [h, m, s] = clock.split(':').map(Number);
  return h * 3600 + m * 60 + s;
}

/** The generator's own .txt: "Block counts:" lines like "\tEPB: 6". */
function generatorCounts(path: string): Record<string, number> {
  const text = readFileSync(corpus(`pcapng/${path}.txt`), 'utf8');
  return Object.fromEntries([...text.matchAll(/^\t(\w+): (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
}

describe("pcapng-test-generator's files give the blocks its .txt files list", () => {
  it.each([
    'output_le/basic/test001',
    'output_be/basic/test001',
    'output_le/basic/test006',
    'output_le/basic/test008',
    'output_le/basic/test010',
    'output_le/basic/test012',
    'output_le/advanced/test102',
    'output_le/difficult/test201',
    'output_le/difficult/test202',
    'output_be/difficult/test202',
  ])('%s', (path) => {
    const counts = generatorCounts(path);
    const { reader, records } = readFile(`pcapng/${path}.pcapng`);
    expect(records.length).toBe((counts.EPB ?? 0) + (counts.SPB ?? 0));
    expect(reader.interfaces().length).toBe(counts.IDB);
    expect(new Set(reader.interfaces().map((i) => i.section)).size).toBe(counts.SHB);
  });

  it.each(['output_le', 'output_be'])('%s/difficult/test202 gives the eight packets of three sections in order', (order) => {
    const { reader, records } = readFile(`pcapng/${order}/difficult/test202.pcapng`);
    const ifaces = reader.interfaces();
    const seen = records.map((r) => [ifaces[r.iface].section, ifaces[r.iface].id, r.linkType, r.data.length, r.origLen]);
    expect(seen).toEqual([
      [0, 0, 1, 96, 314],
      [0, 0, 1, 96, 342],
      [0, 1, 0, 168, 168],
      [1, 0, 1, 128, 314],
      [1, 0, 1, 128, 342],
      [1, 0, 1, 128, 314],
      [1, 0, 1, 128, 342],
      [2, 1, 0, 168, 168],
    ]);
    expect(records[0].tsSec * 1e6 + records[0].tsNsec / 1000).toBe(1340954905298858);
  });

  it('test008 reads if_tsresol=9 as nanoseconds and an interface described after the first packet', () => {
    const { reader, records } = readFile('pcapng/output_le/basic/test008.pcapng');
    expect(reader.interfaces().map((i) => i.name)).toEqual(['eth-_0 foo', 'en1']);
    expect(records.map((r) => [r.iface, r.tsSec, r.tsNsec])).toEqual([
      [0, 1340954, 905298858],
      [1, 1340954, 905299858],
      [0, 1340954, 905300858],
      [1, 1340954, 905301858],
    ]);
  });

  it('test102 skips an EPB by its block length when the block holds more than its captured length', () => {
    const { records } = readFile('pcapng/output_le/advanced/test102.pcapng');
    expect(records.map((r) => [r.iface, r.data.length, r.origLen])).toEqual([
      [0, 96, 314],
      [2, 342, 342],
      [0, 96, 314],
      [0, 96, 342],
      [1, 168, 168],
    ]);
  });
});

describe("Zeek's traces", () => {
  it('the mergecap-made two-interface pcapng is two hops named by if_name, each at its own resolution', () => {
    const trace = openTrace([corpus('zeek/Traces/pcapng-multi-interface.pcapng')]);
    expect(trace.hops.map((h) => h.name)).toEqual(['eth0', '\\Device\\NPF_{5AE6EDB4-EFF9-46B3-A3C2-EE50C688A9E6}']);
    const frames = [...trace.frames()].map((f) => [f.hop, f.tsSec, f.tsNsec, f.data.length]);
    // Times as tcpdump -tt --nano prints them for this file.
    expect(frames).toEqual([
      [0, 1767663089, 500330493, 96],
      [0, 1767663089, 514291940, 214],
      [1, 1767663437, 111897000, 70],
      [1, 1767663437, 126460000, 166],
      [1, 1767663437, 128303000, 70],
      [1, 1767663437, 140942000, 182],
    ]);
    expect(trace.warnings).toEqual([]);
  });

  it('the LINUX_SLL2 capture is one hop per interface index: 4 packets on ifindex 1, 2 on ifindex 26', () => {
    const trace = openTrace([corpus('zeek/Traces/linux_dlt_sll2.pcap')]);
    expect(trace.hops.map((h) => h.name)).toEqual(['ifindex 1', 'ifindex 26']);
    expect([...trace.frames()].map((f) => [f.hop, f.linkType])).toEqual([
      [0, 276], [0, 276], [0, 276], [0, 276], [1, 276], [1, 276],
    ]);
  });
});
