// Every file of the shared corpus (../shared/corpus, absent in a user's clone) is either
// read to its end or refused with a CaptureFileError; so are copies cut short and copies
// with corrupted bytes. The per-test timeout is the guard against a reader that hangs.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureFileError } from '../../src/errors.js';
import { openCaptureFile } from '../../src/capture/files/open.js';
import { scratchDir } from './builders.js';

import { corpusRoot } from './corpus-root.js';

const root = corpusRoot() ?? '';
const present = root !== '';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

type Outcome = { read: number; warnings: string[] } | { refused: string };

/** Reads a file to its end; any exception other than CaptureFileError fails the test. */
function outcome(file: string): Outcome {
  try {
    const reader = openCaptureFile(file);
    let read = 0;
    while (reader.next() !== null) read++;
    reader.close();
    return { read, warnings: reader.warnings.map((w) => w.message) };
  } catch (err) {
    if (!(err instanceof CaptureFileError)) throw err;
    expect(err.message.startsWith(`${file}: offset `)).toBe(true);
    return { refused: err.problem };
  }
}

const files = present ? filesUnder(root) : [];
const captures = files.filter((f) => /\.pcap(ng)?$/.test(f));
const manifest: { captures: { file: string; packets: number }[] } = present
  ? JSON.parse(readFileSync(join(root, 'tcpdump/manifest.json'), 'utf8'))
  : { captures: [] };
const expectedCount = new Map(manifest.captures.map((c) => [join(root, 'tcpdump', c.file), c.packets]));

describe.skipIf(!present)('the shared corpus', () => {
  it.each(files.map((f) => [relative(root, f), f]))('%s is read whole or refused', (_, file) => {
    const result = outcome(file);
    if (file.includes('/libpcap/') && captures.includes(file)) expect(result).toHaveProperty('refused');
    else if (captures.includes(file)) expect(result).toMatchObject({ warnings: expect.any(Array) });
    else expect(result).toHaveProperty('refused');
    const count = expectedCount.get(file);
    if (count !== undefined) expect(result).toHaveProperty('read', count);
  }, 10_000);

  it('has the captures this sweep expects (so that it cannot pass on an empty folder)', () => {
    expect(captures.length).toBeGreaterThan(130);
    expect(expectedCount.size).toBe(70);
  });
});

describe.skipIf(!present)('corpus captures cut short or corrupted', () => {
  const scratch = scratchDir();
  afterAll(() => scratch.remove());
  const readable = captures.filter((f) => !f.includes('/libpcap/'));

  it.each(readable.map((f) => [relative(root, f), f]))('%s cut inside a record reads the records before it, with a warning', (_, file) => {
    const bytes = readFileSync(file);
    const reader = openCaptureFile(file);
    const offsets: number[] = [];
    for (let rec = reader.next(); rec !== null; rec = reader.next()) offsets.push(rec.offset);
    reader.close();
    const picks = offsets.length === 0 ? [] : [0, offsets.length >> 1, offsets.length - 1];
    for (const index of new Set(picks)) {
      for (const into of [1, 9]) {
        const result = outcome(scratch.write('cut.cap', bytes.subarray(0, offsets[index] + into)));
        expect(result).toHaveProperty('read', index);
        // Other warnings (SPB timestamps, odd fractions) may come first; the cut comes last.
        expect((result as { warnings: string[] }).warnings.at(-1)).toBe(`capture ends mid-record (truncated file?); read ${index} records`);
      }
    }
    const header = outcome(scratch.write('cut.cap', bytes.subarray(0, 23)));
    expect(header).toEqual(file.endsWith('.pcapng') ? { read: 0, warnings: ['capture ends mid-record (truncated file?); read 0 records'] } : { refused: 'file header cut short: 23 of 24 bytes' });
  }, 10_000);

  it.each(readable.map((f) => [relative(root, f), f]))('%s with corrupted bytes is read or refused, never crashes', (_, file) => {
    const bytes = readFileSync(file);
    let seed = bytes.length;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let round = 0; round < 25; round++) {
      const copy = Buffer.from(bytes);
      for (let k = 0; k < 4; k++) copy[Math.floor(random() * Math.min(copy.length, 256))] = Math.floor(random() * 256);
      copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
      outcome(scratch.write('corrupt.cap', copy));
    }
  }, 10_000);
});
