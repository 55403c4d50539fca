import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureFileError, FatalError } from '../../src/errors.js';
import type { Frame } from '../../src/model.js';
import { openTrace } from '../../src/capture/trace.js';
import { PcapngBuilder, pcapFile, payload, scratchDir } from './builders.js';

const dir = scratchDir();
afterAll(() => dir.remove());

/** A frame as [hop, seconds, first data byte]: the seed says which packet it is. */
const brief = (f: Frame) => [f.hop, f.tsSec, f.data[0]];

function ethernet(name: string, packets: [number, number][], linkType = 1): string {
  return dir.write(name, pcapFile({ linkType }, packets.map(([sec, seed]) => ({ sec, frac: 0, data: payload(60, seed) }))));
}

function sll2(ifindex: number, seed: number): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt16BE(0x0800, 0);
  header.writeUInt32BE(ifindex, 4);
  header[0] = seed; // the protocol's high byte doubles as the packet's seed in this test
  return Buffer.concat([header, payload(40)]);
}

function traceDir(name: string, pathJson: unknown, files: Record<string, Buffer> = {}): string {
  const folder = dir.path(name);
  mkdirSync(folder);
  writeFileSync(join(folder, 'path.json'), typeof pathJson === 'string' ? pathJson : JSON.stringify(pathJson));
  for (const [file, bytes] of Object.entries(files)) writeFileSync(join(folder, file), bytes);
  return folder;
}

function fatal(run: () => unknown): FatalError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(FatalError);
    expect((err as FatalError).exitCode).toBe(2);
    return err as FatalError;
  }
  throw new Error('no error was thrown');
}

describe('several capture files', () => {
  it('are one hop each, in argument order, named after the file, merged by time', () => {
    const a = ethernet('c1-eth0.pcap', [[10, 1], [12, 3], [14, 5]]);
    const b = ethernet('docker0.pcapng.pcap', [[11, 2], [12, 4], [15, 6]]);
    const trace = openTrace([a, b]);
    expect(trace.hops).toEqual([
      { name: 'c1-eth0', role: 'other', addrs: [], file: a },
      { name: 'docker0.pcapng', role: 'other', addrs: [], file: b },
    ]);
    // At 12 s both hops have a packet: the earlier hop's comes first.
    expect([...trace.frames()].map(brief)).toEqual([[0, 10, 1], [1, 11, 2], [0, 12, 3], [1, 12, 4], [0, 14, 5], [1, 15, 6]]);
  });

  it("keep each file's own record order even where its clock steps back", () => {
    const a = ethernet('steps-back.pcap', [[20, 1], [10, 2]]);
    const b = ethernet('steady.pcap', [[15, 3]]);
    expect([...openTrace([a, b]).frames()].map(brief)).toEqual([[1, 15, 3], [0, 20, 1], [0, 10, 2]]);
  });

  it('with the same name in two folders keep their paths as names', () => {
    mkdirSync(dir.path('left'));
    mkdirSync(dir.path('right'));
    const a = ethernet('left/eth0.pcap', [[1, 1]]);
    const b = ethernet('right/eth0.pcap', [[2, 2]]);
    expect(openTrace([a, b]).hops.map((h) => h.name)).toEqual([a, b]);
  });

  it("skip a hop whose link type nothing decodes, with a warning, when other hops are usable", () => {
    const a = ethernet('ok.pcap', [[1, 1]]);
    const b = ethernet('wireless.pcap', [[2, 2]], 105);
    const trace = openTrace([a, b]);
    expect([...trace.frames()].map(brief)).toEqual([[0, 1, 1]]);
    expect(trace.warnings).toEqual([{ file: b, offset: 0, message: 'unsupported link type 105 (interface 0): its packets are skipped' }]);
  });

  it('are refused when no hop has a link type that is decoded', () => {
    const a = ethernet('only-160.pcap', [[1, 1]], 160);
    expect(() => openTrace([a])).toThrow(new CaptureFileError(a, 0, 'unsupported link type 160 (interface 0)'));
  });

  it('are refused at open when one of them is broken', () => {
    const a = ethernet('fine.pcap', [[1, 1]]);
    const broken = dir.write('broken.pcap', pcapFile({ version: [2, 2] }, []));
    expect(() => openTrace([a, broken])).toThrow(new CaptureFileError(broken, 0, 'unsupported pcap savefile version 2.2'));
  });

  it('report a file cut short once its frames have been read', () => {
    const whole = pcapFile({}, [{ sec: 1, frac: 0, data: payload(60) }, { sec: 2, frac: 0, data: payload(60) }]);
    const cut = dir.write('cut.pcap', whole.subarray(0, whole.length - 1));
    const trace = openTrace([ethernet('other.pcap', [[1, 9]]), cut]);
    expect([...trace.frames()].length).toBe(2);
    expect(trace.warnings).toEqual([{ file: cut, offset: 100, message: 'capture ends mid-record (truncated file?); read 1 records' }]);
  });

  it('named twice are two hops with distinct names', () => {
    const a = ethernet('twice-named.pcap', [[1, 1]]);
    expect(openTrace([a, a]).hops.map((h) => h.name)).toEqual([a, `${a} (2)`]);
  });

  it('report how many of their bytes frames() has read', () => {
    const a = ethernet('progress-a.pcap', [[1, 1], [3, 3]]);
    const b = ethernet('progress-b.pcap', [[2, 2]]);
    const total = 24 + 2 * 76 + (24 + 76);
    const trace = openTrace([a, b]);
    expect(trace.progress()).toEqual({ done: 0, total: 0 });
    const frames = trace.frames();
    frames.next();
    expect(trace.progress().total).toBe(total);
    expect([...frames].length).toBe(2);
    expect(trace.progress()).toEqual({ done: total, total });
  });

  it('can be replayed twice', () => {
    const trace = openTrace([ethernet('twice.pcap', [[1, 1], [2, 2]])]);
    expect([...trace.frames()].length).toBe(2);
    expect([...trace.frames()].length).toBe(2);
    trace.close();
  });

  it('must be at least one', () => {
    expect(fatal(() => openTrace([])).message).toBe('no capture given: name a trace directory or capture files');
  });
});

describe('a single capture file', () => {
  it('of LINUX_SLL (v1) is refused: its records carry no interface index to split by, and hoptrace does not guess', () => {
    const file = ethernet('any.pcap', [[1, 1], [2, 2]], 113);
    expect(() => openTrace([file])).toThrow(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: offset 0: link type LINUX_SLL \\(113\\) does not record which interface a packet crossed`),
    );
  });

  it('of LINUX_SLL (v1) is one hop when named with other captures', () => {
    const a = ethernet('a.pcap', [[1, 1]], 113);
    const b = ethernet('b.pcap', [[2, 2]], 113);
    expect(openTrace([a, b]).hops.map((h) => h.name)).toEqual(['a', 'b']);
  });

  it('of LINUX_SLL2 is one hop per interface index, in order of first appearance', () => {
    const bytes = pcapFile({ linkType: 276 }, [
      { sec: 1, frac: 0, data: sll2(7, 1) },
      { sec: 2, frac: 0, data: sll2(3, 2) },
      { sec: 3, frac: 0, data: sll2(7, 3) },
      { sec: 4, frac: 0, data: sll2(12, 4) },
    ]);
    const trace = openTrace([dir.write('any2.pcap', bytes)]);
    expect(trace.hops.map((h) => h.name)).toEqual(['ifindex 7', 'ifindex 3', 'ifindex 12']);
    expect([...trace.frames()].map(brief)).toEqual([[0, 1, 1], [1, 2, 2], [0, 3, 3], [2, 4, 4]]);
  });

  it('of pcapng with several interfaces is one hop per if_name, the same name across sections being one hop', () => {
    const bytes = new PcapngBuilder()
      .section()
      .iface({ name: 'eth0' })
      .iface({ name: 'docker0' })
      .iface({ linkType: 101 })
      .epb({ iface: 1, ts: 1000000n, data: payload(40, 1) })
      .epb({ iface: 0, ts: 2000000n, data: payload(40, 2) })
      .epb({ iface: 2, ts: 3000000n, data: payload(40, 3) })
      .section({ littleEndian: false })
      .iface({ name: 'eth0' })
      .epb({ iface: 0, ts: 4000000n, data: payload(40, 4) })
      .build();
    const file = dir.write('merged.pcapng', bytes);
    const trace = openTrace([file]);
    expect(trace.hops).toEqual([
      { name: 'eth0', role: 'other', addrs: [], file, iface: 'eth0' },
      { name: 'docker0', role: 'other', addrs: [], file, iface: 'docker0' },
      { name: 'if2', role: 'other', addrs: [], file, iface: 'if2' },
    ]);
    expect([...trace.frames()].map(brief)).toEqual([[1, 1, 1], [0, 2, 2], [2, 3, 3], [0, 4, 4]]);
  });

  it('of pcapng skips an interface of an undecoded link type with a warning, and shows control characters in names escaped', () => {
    const bytes = new PcapngBuilder()
      .section()
      .iface({ name: 'eth0\r\n' })
      .iface({ name: 'vsockmon0', linkType: 271 })
      .epb({ iface: 1, ts: 1n, data: payload(40, 1) })
      .epb({ iface: 0, ts: 2n, data: payload(40, 2) })
      .build();
    const file = dir.write('vsock.pcapng', bytes);
    const trace = openTrace([file]);
    expect(trace.hops.map((h) => h.name)).toEqual(['eth0\\x0d\\x0a', 'vsockmon0']);
    expect([...trace.frames()].map((f) => f.hop)).toEqual([0]);
    expect(trace.warnings).toEqual([{ file, offset: 28 + 36, message: 'unsupported link type 271 (interface 1): its packets are skipped' }]);
  });

  it('of pcapng with one interface is one hop named after the file', () => {
    const file = dir.write('one.pcapng', new PcapngBuilder().section().iface({ name: 'eth0' }).epb({ ts: 1n, data: payload(20) }).build());
    expect(openTrace([file]).hops.map((h) => h.name)).toEqual(['one']);
  });
});

describe('a trace directory', () => {
  const hops = [
    { file: '01-c1-eth0.pcap', name: 'c1 eth0', role: 'container', netns: 'container:c1', iface: 'eth0', addrs: ['198.18.0.2'] },
    { file: '02-docker0.pcap', name: 'docker0', role: 'bridge', netns: 'host', iface: 'docker0', addrs: ['198.18.0.1', '2001:db8::1'], mtu: 1500 },
  ];
  const files = () => ({
    '01-c1-eth0.pcap': pcapFile({}, [{ sec: 1, frac: 5, data: payload(60, 1) }]),
    '02-docker0.pcap': pcapFile({}, [{ sec: 1, frac: 6, data: payload(60, 2) }]),
  });

  it('gives the hops of path.json in path order, reading each file', () => {
    const folder = traceDir('good', { description: 'outbound ping', hops }, files());
    const trace = openTrace([folder]);
    expect(trace.description).toBe('outbound ping');
    expect(trace.hops).toEqual(hops.map((h) => ({ ...h, file: join(folder, h.file) })));
    expect([...trace.frames()].map((f) => [f.hop, f.tsNsec, f.data[0]])).toEqual([[0, 5000, 1], [1, 6000, 2]]);
  });

  it.each([
    ['{"hops": [', /^not valid JSON: /],
    [[], /^must be a JSON object with "hops"$/],
    [{ hops: [] }, /^hops: must be a non-empty array of hops, in path order$/],
    [{ hops: [{ ...hops[0], role: 'vth' }] }, /^hops\[0\]\.role: must be one of container, veth, bridge, uplink, host, tunnel, other \(got "vth"\)$/],
    [{ hops: [hops[0], { ...hops[1], name: '' }] }, /^hops\[1\]\.name: must be a non-empty string \(got ""\)$/],
    [{ hops: [{ ...hops[0], file: undefined }] }, /^hops\[0\]\.file: must be a non-empty string \(got nothing\)$/],
    [{ hops: [hops[0], { ...hops[1], name: 'c1 eth0' }] }, /^hops\[1\]\.name: "c1 eth0" names two hops$/],
    [{ hops: [{ ...hops[0], addrs: ['198.18.0.256'] }] }, /^hops\[0\]\.addrs\[0\]: not an IPv4 or IPv6 address, with or without a \/prefix \(got "198\.18\.0\.256"\)$/],
    [{ hops: [{ ...hops[0], addrs: ['198.18.0.1/33'] }] }, /^hops\[0\]\.addrs\[0\]: not an IPv4 or IPv6 address, with or without a \/prefix \(got "198\.18\.0\.1\/33"\)$/],
    [{ hops: [{ ...hops[0], addrs: '198.18.0.2' }] }, /^hops\[0\]\.addrs: must be an array of IP addresses$/],
    [{ hops: [{ ...hops[0], mtu: -1 }] }, /^hops\[0\]\.mtu: must be a whole number from 1 to 65536 \(got -1\)$/],
    [{ description: 7, hops }, /^description: must be a non-empty string \(got 7\)$/],
  ])('with a bad path.json (%j) is refused naming path.json and the field', (doc, problem) => {
    const folder = traceDir(`bad-${Math.random().toString(36).slice(2)}`, doc, files());
    const message = fatal(() => openTrace([folder])).message;
    expect(message.startsWith(`${join(folder, 'path.json')}: `)).toBe(true);
    expect(message.slice(join(folder, 'path.json').length + 2)).toMatch(problem);
  });

  it('without path.json is refused', () => {
    const folder = dir.path('no-path-json');
    mkdirSync(folder);
    expect(fatal(() => openTrace([folder])).message).toBe(`${folder}: not a trace directory (it has no path.json)`);
  });

  it('naming a capture that is not there is refused naming that file', () => {
    const folder = traceDir('missing-file', { hops }, { '01-c1-eth0.pcap': files()['01-c1-eth0.pcap'] });
    const missing = join(folder, '02-docker0.pcap');
    expect(() => openTrace([folder])).toThrow(new CaptureFileError(missing, 0, 'cannot open: no such file'));
  });
});
