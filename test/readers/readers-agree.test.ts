// The native classic-pcap reader and pcap-parser are two readings of the same bytes: on every
// microsecond pcap among the fixtures and the corpus (pinned copies always, the shared corpus
// when present) they must give the same records, times and end (warnings or refusal). And
// pcap-parser must not buffer a corrupt file whole while it waits for a record that cannot come.
import { closeSync, openSync, readFileSync, readdirSync, statSync, writeSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureFileError } from '../../src/errors.js';
import { type OpenOptions, openCaptureFile } from '../../src/capture/files/open.js';
import { CHUNK_SIZE } from '../../src/capture/files/file-window.js';
import { corpusRoot } from './corpus-root.js';
import { pcapHeader, pcapRecord, payload, scratchDir } from './builders.js';

const repo = new URL('../../', import.meta.url).pathname;
const scratch = scratchDir();
afterAll(() => scratch.remove());

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Classic microsecond pcap, either byte order: the files both readers take. */
function isMicrosecondPcap(file: string): boolean {
  const head = readFileSync(file).subarray(0, 4);
  return head.length === 4 && (head.readUInt32LE(0) === 0xa1b2c3d4 || head.readUInt32BE(0) === 0xa1b2c3d4);
}

interface Reading {
  records: { tsSec: number; tsNsec: number; origLen: number; offset: number; linkType: number; data: string }[];
  warnings: string[];
  refused?: string;
  interfaces: unknown;
}

/** Everything a reader says about a file: each record's fields and bytes, how it ended. */
function readWith(file: string, classicReader: OpenOptions['classicReader']): Reading {
  const out: Reading = { records: [], warnings: [], interfaces: null };
  try {
    const reader = openCaptureFile(file, { classicReader });
    out.interfaces = reader.interfaces();
    try {
      for (let rec = reader.next(); rec !== null; rec = reader.next()) {
        const { tsSec, tsNsec, origLen, offset, linkType } = rec;
        out.records.push({ tsSec, tsNsec, origLen, offset, linkType, data: Buffer.from(rec.data).toString('base64') });
      }
      out.warnings = reader.warnings.map((w) => `${w.offset}: ${w.message}`);
    } finally {
      reader.close();
    }
  } catch (err) {
    if (!(err instanceof CaptureFileError)) throw err;
    out.refused = err.message;
  }
  return out;
}

const fixtureFiles = filesUnder(join(repo, 'fixtures')).filter(isMicrosecondPcap);
const root = corpusRoot();
const corpusFiles = root === null ? [] : filesUnder(root).filter(isMicrosecondPcap);

describe('the native reader and pcap-parser read the same', () => {
  it('there are fixtures to compare (so that this cannot pass on none)', () => {
    expect(fixtureFiles.length).toBeGreaterThan(40);
  });

  it.each(fixtureFiles.map((f) => [relative(repo, f), f]))('%s', (_, file) => {
    expect(readWith(file, 'native')).toEqual(readWith(file, 'pcap-parser'));
  });

  describe.skipIf(root === null)('the shared corpus', () => {
    it.each(corpusFiles.map((f) => [relative(root ?? '', f), f]))('%s', (_, file) => {
      expect(readWith(file, 'native')).toEqual(readWith(file, 'pcap-parser'));
    });
  });

  it.each([
    ['a record cut short at the end', (b: Buffer) => b.subarray(0, b.length - 7)],
    ['a record longer than the rest of the file', (b: Buffer) => withCaplen(b, 24 + 16 + 60, 200_000)],
    ['a record longer than any snaplen', (b: Buffer) => withCaplen(b, 24 + 16 + 60, 0xfffffff0)],
    ['a timestamp fraction out of range', (b: Buffer) => withU32(b, 24 + 4, 2_500_000)],
    ['only the file header', (b: Buffer) => b.subarray(0, 24)],
  ])('%s', (name, change) => {
    const records = [0, 1, 2].map((i) => pcapRecord({ sec: 1700000000 + i, frac: i, data: payload(60, i) }));
    const file = scratch.write(`${name.replace(/\W/g, '-')}.pcap`, change(Buffer.concat([pcapHeader(), ...records])));
    expect(readWith(file, 'native')).toEqual(readWith(file, 'pcap-parser'));
  });
});

function withU32(bytes: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeUInt32LE(value >>> 0, at);
  return copy;
}

function withCaplen(bytes: Buffer, record: number, caplen: number): Buffer {
  return withU32(bytes, record + 8, caplen);
}

describe('pcap-parser does not buffer a corrupt file whole', () => {
  /**
   * The case from the issue: snaplen 0xffffffff, a first record claiming 0xfffffff0 bytes,
   * and 228 MB after it. The file is sparse (two writes and a hole), so it costs no disk.
   */
  function sparseCapture(name: string, snaplen: number, caplen: number, size: number): string {
    const file = scratch.path(name);
    const fd = openSync(file, 'w');
    try {
      writeSync(fd, Buffer.concat([pcapHeader({ snaplen }), pcapRecord({ sec: 1, frac: 0, data: Buffer.alloc(0), caplen })]));
      writeSync(fd, Buffer.alloc(1), 0, 1, size - 1);
    } finally {
      closeSync(fd);
    }
    return file;
  }

  it.each(['pcap-parser', 'native'] as const)('%s refuses a 0xfffffff0-byte record after reading one chunk', (classicReader) => {
    const file = sparseCapture(`huge-${classicReader}.pcap`, 0xffffffff, 0xfffffff0, 228_000_000);
    const reader = openCaptureFile(file, { classicReader });
    expect(() => reader.next()).toThrow(new CaptureFileError(file, 24, 'record length 4294967280 exceeds the limit of 16777216 bytes (snaplen 4294967295)'));
    expect(reader.bytesRead()).toBeLessThanOrEqual(CHUNK_SIZE);
    reader.close();
  });

  it.each(['pcap-parser', 'native'] as const)('%s stops at a record longer than the rest of the file, without reading on', (classicReader) => {
    // 16 MiB allowed by the snaplen, 12 MB of file: the record cannot be complete.
    const file = sparseCapture(`long-${classicReader}.pcap`, 16 << 20, 16 << 20, 12_000_000);
    const reader = openCaptureFile(file, { classicReader });
    expect(reader.next()).toBeNull();
    expect(reader.warnings.map((w) => [w.offset, w.message])).toEqual([[24, 'capture ends mid-record (truncated file?); read 0 records']]);
    expect(reader.bytesRead()).toBeLessThanOrEqual(CHUNK_SIZE);
    reader.close();
  });
});
