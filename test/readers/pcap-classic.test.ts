import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureFileError } from '../../src/errors.js';
import { type CaptureRecord, type OpenOptions, openCaptureFile } from '../../src/capture/files/open.js';
import { pcapFile, pcapHeader, pcapRecord, payload, readAll, scratchDir } from './builders.js';

const dir = scratchDir();
afterAll(() => dir.remove());

function fields(rec: CaptureRecord) {
  return { tsSec: rec.tsSec, tsNsec: rec.tsNsec, len: rec.data.length, origLen: rec.origLen, offset: rec.offset, first: rec.data[0] };
}

function refusal(file: string, options: OpenOptions = {}): CaptureFileError {
  try {
    const reader = openCaptureFile(file, options);
    readAll(reader);
  } catch (err) {
    expect(err).toBeInstanceOf(CaptureFileError);
    return err as CaptureFileError;
  }
  throw new Error(`${file} was read without an error`);
}

const threeRecords = [
  { sec: 1700000000, frac: 1, data: payload(60, 1) },
  { sec: 1700000001, frac: 999999, data: payload(1514, 2), origLen: 1514 },
  { sec: 4294967295, frac: 500000, data: payload(40, 3), origLen: 9000 },
];

describe.each(['pcap-parser', 'native'] as const)('a microsecond pcap read by %s', (classicReader) => {
  it.each([true, false])('gives every record with its time, length and offset (little-endian %s)', (littleEndian) => {
    const file = dir.write(`micro-${littleEndian}.pcap`, pcapFile({ littleEndian }, threeRecords));
    const reader = openCaptureFile(file, { classicReader });
    expect(reader.format).toBe('pcap');
    expect(reader.interfaces()).toEqual([{ id: 0, linkType: 1, snaplen: 65535, section: 0, offset: 0 }]);
    expect(readAll(reader).map(fields)).toEqual([
      { tsSec: 1700000000, tsNsec: 1000, len: 60, origLen: 60, offset: 24, first: 1 },
      { tsSec: 1700000001, tsNsec: 999999000, len: 1514, origLen: 1514, offset: 24 + 76, first: 2 },
      // Seconds are unsigned: 0xffffffff is 2106-02-07, not -1.
      { tsSec: 4294967295, tsNsec: 500000000, len: 40, origLen: 9000, offset: 24 + 76 + 1530, first: 3 },
    ]);
    expect(reader.warnings).toEqual([]);
    reader.close();
  });

  it('reads records that straddle its 1 MiB chunks', () => {
    const records = Array.from({ length: 3000 }, (_, i) => ({ sec: 1000 + i, frac: i, data: payload(700 + (i % 50), i) }));
    const file = dir.write(`many-${classicReader}.pcap`, pcapFile({}, records));
    const read = readAll(openCaptureFile(file, { classicReader }));
    expect(read.length).toBe(3000);
    read.forEach((rec, i) => {
      expect(rec.tsSec).toBe(1000 + i);
      expect(Buffer.from(rec.data).equals(records[i].data)).toBe(true);
    });
  });

  it('reads a file cut inside a record up to the cut, with a warning naming the record', () => {
    const whole = pcapFile({}, threeRecords);
    const file = dir.write(`cut-${classicReader}.pcap`, whole.subarray(0, whole.length - 10));
    const reader = openCaptureFile(file, { classicReader });
    expect(readAll(reader).length).toBe(2);
    expect(reader.warnings).toEqual([
      { file, offset: 24 + 76 + 1530, message: 'capture ends mid-record (truncated file?); read 2 records' },
    ]);
  });

  it('reads a file cut inside a record header up to the cut', () => {
    const whole = pcapFile({}, threeRecords.slice(0, 1));
    const file = dir.write(`cut-header-${classicReader}.pcap`, Buffer.concat([whole, Buffer.alloc(9)]));
    const reader = openCaptureFile(file, { classicReader });
    expect(readAll(reader).length).toBe(1);
    expect(reader.warnings[0]).toMatchObject({ offset: 100, message: 'capture ends mid-record (truncated file?); read 1 records' });
  });

  it('refuses a record longer than the snaplen and libpcap maximum, at its offset, after the records before it', () => {
    const bytes = Buffer.concat([pcapFile({}, threeRecords.slice(0, 1)), pcapRecord({ sec: 1, frac: 0, data: payload(4), caplen: 300000 })]);
    const file = dir.write(`huge-${classicReader}.pcap`, bytes);
    const reader = openCaptureFile(file, { classicReader });
    expect(reader.next()?.offset).toBe(24);
    expect(() => reader.next()).toThrow(`${file}: offset 100: record length 300000 exceeds the limit of 262144 bytes (snaplen 65535)`);
  });

  it('carries an out-of-range microsecond fraction into the seconds, with one warning', () => {
    const file = dir.write(`frac-${classicReader}.pcap`, pcapFile({}, [
      { sec: 10, frac: 1000000, data: payload(20) },
      { sec: 10, frac: 2147483648, data: payload(20) },
    ]));
    const reader = openCaptureFile(file, { classicReader });
    expect(readAll(reader).map((r) => [r.tsSec, r.tsNsec])).toEqual([[11, 0], [10 + 2147, 483648000]]);
    expect(reader.warnings).toEqual([
      { file, offset: 24, message: 'timestamp fraction 1000000 microseconds is out of range; carried into the seconds' },
    ]);
  });
});

describe('a nanosecond pcap', () => {
  it.each([true, false])('keeps every nanosecond (little-endian %s)', (littleEndian) => {
    const file = dir.write(`nano-${littleEndian}.pcap`, pcapFile({ littleEndian, nanosecond: true, linkType: 113 }, [
      { sec: 1700000000, frac: 123456789, data: payload(44, 9) },
      { sec: 1700000000, frac: 999999999, data: payload(50, 8), origLen: 1500 },
    ]));
    const reader = openCaptureFile(file);
    expect(reader.format).toBe('pcap-ns');
    expect(reader.interfaces()[0].linkType).toBe(113);
    expect(readAll(reader).map(fields)).toEqual([
      { tsSec: 1700000000, tsNsec: 123456789, len: 44, origLen: 44, offset: 24, first: 9 },
      { tsSec: 1700000000, tsNsec: 999999999, len: 50, origLen: 1500, offset: 84, first: 8 },
    ]);
  });
});

describe('a classic pcap header', () => {
  it.each([
    [{ version: [1, 4] as [number, number] }, 'unsupported pcap savefile version 1.4'],
    [{ version: [2, 5] as [number, number] }, 'unsupported pcap savefile version 2.5'],
    [{ version: [2, 3] as [number, number], nanosecond: true }, 'unsupported pcap savefile version 2.3'],
    [{ linkType: 0x00300001 }, 'savefile linktype reserved field not zero (0x00300000)'],
    [{ linkType: 0x02000001, littleEndian: false }, 'savefile linktype reserved field not zero (0x02000000)'],
  ])('is refused when it says %j', (spec, problem) => {
    const file = dir.write('bad-header.pcap', pcapFile(spec, threeRecords));
    expect(refusal(file).message).toBe(`${file}: offset 0: ${problem}`);
  });

  it('keeps the link type of a field whose FCS bits are set, as libpcap does', () => {
    const file = dir.write('fcs-bits.pcap', pcapFile({ linkType: 0x34000065 }, threeRecords));
    expect(openCaptureFile(file).interfaces()[0].linkType).toBe(101);
  });

  it('is refused when cut short', () => {
    const file = dir.write('short-header.pcap', pcapHeader().subarray(0, 20));
    expect(refusal(file).message).toBe(`${file}: offset 0: file header cut short: 20 of 24 bytes`);
  });

  it('with no records is an empty capture, not an error', () => {
    const reader = openCaptureFile(dir.write('header-only.pcap', pcapHeader()));
    expect(reader.next()).toBeNull();
    expect(reader.warnings).toEqual([]);
  });
});

describe('a file that is not a capture', () => {
  it('is refused when it is empty', () => {
    const file = dir.write('zero.pcap', Buffer.alloc(0));
    expect(refusal(file).message).toBe(`${file}: offset 0: empty file (0 bytes): not a capture`);
  });

  it("is refused, by name, when it is Kuznetzov's modified pcap", () => {
    const file = dir.write('modified.pcap', Buffer.from([0x34, 0xcd, 0xb2, 0xa1, 2, 0, 4, 0]));
    expect(refusal(file).message).toBe(`${file}: offset 0: unsupported pcap variant: Kuznetzov's modified pcap (magic 0xa1b2cd34)`);
  });

  it('is refused when it has no capture magic, without showing its bytes', () => {
    const file = dir.write('text.pcap', Buffer.from('root:x:0:0\n'));
    const message = refusal(file).message;
    expect(message).toBe(`${file}: offset 0: not a pcap or pcapng file (its first 4 bytes are no known capture magic number; the bytes are not shown)`);
    expect(message).not.toMatch(/726f6f74|root/);
  });

  it.each([
    ['gzip', [0x1f, 0x8b, 8, 0], 'a gzip-compressed file: decompress it first'],
    ['zstd', [0x28, 0xb5, 0x2f, 0xfd], 'a zstd-compressed file: decompress it first'],
    ['snoop', [...Buffer.from('snoop\0\0\0')], 'a snoop capture: convert it with `editcap -F pcapng`'],
  ])('is refused, named by its format, when it is %s', (name, bytes, what) => {
    const file = dir.write(`${name}.pcap`, Buffer.from([...bytes, 0, 0, 0, 0]));
    expect(refusal(file).message).toBe(`${file}: offset 0: not a pcap or pcapng file (${what})`);
  });

  it('is refused when it is a directory', () => {
    const folder = dir.path('folder.pcap');
    mkdirSync(folder);
    expect(refusal(folder).message).toBe(`${folder}: offset 0: cannot open: a directory, not a capture file`);
  });

  it('is refused when it does not exist', () => {
    const file = dir.path('missing.pcap');
    expect(refusal(file).message).toBe(`${file}: offset 0: cannot open: no such file`);
  });

  it.skipIf(process.getuid?.() === 0)('is refused when it cannot be read (needs a non-root user)', () => {
    const file = dir.write('secret.pcap', pcapFile({}, threeRecords));
    chmodSync(file, 0);
    expect(refusal(file).message).toBe(`${file}: offset 0: cannot open: permission denied`);
  });
});

describe('pcap-parser', () => {
  const repo = new URL('../../', import.meta.url).pathname;
  const nodeWith = (script: string, file: string) =>
    spawnSync(process.execPath, ['--pending-deprecation', ...script.split(' '), file], { cwd: repo, encoding: 'utf8' });

  it('never shows its Buffer() deprecation, even under --pending-deprecation', () => {
    // Several 1 MiB chunks, so that pcap-parser joins a record split across two of them.
    const records = Array.from({ length: 2000 }, (_, i) => ({ sec: i, frac: 0, data: payload(1000) }));
    const file = dir.write('deprecation.pcap', pcapFile({}, records));
    const control = dir.write('control.mjs', Buffer.from(`
      import { createRequire } from 'node:module'; import { EventEmitter } from 'node:events'; import { readFileSync } from 'node:fs';
      const input = Object.assign(new EventEmitter(), { pause() {}, resume() {} });
      const parser = createRequire(${JSON.stringify(repo + 'package.json')})('pcap-parser').parse(input);
      let n = 0; parser.on('packet', () => n++);
      const bytes = readFileSync(process.argv[2]);
      input.emit('data', bytes.subarray(0, 1000)); input.emit('data', bytes.subarray(1000)); console.log(n);`));
    const ours = dir.write('ours.ts', Buffer.from(`
      import { openCaptureFile } from ${JSON.stringify(repo + 'src/capture/files/open.ts')};
      const reader = openCaptureFile(process.argv[2]); let n = 0; while (reader.next()) n++; console.log(n);`));
    // The control shows the warning is real when pcap-parser runs bare under the flag.
    const bare = nodeWith(control, file);
    expect(bare.stdout.trim()).toBe('2000');
    expect(bare.stderr).toContain('DEP0005');
    const wrapped = nodeWith(`node_modules/vite-node/vite-node.mjs ${ours}`, file);
    expect(wrapped.stdout.trim()).toBe('2000');
    expect(wrapped.stderr).not.toContain('DEP0005');
  });
});
