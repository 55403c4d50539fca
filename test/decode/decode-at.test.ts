// The replay's hot path decodes a frame where it lies in the reader's buffer
// (decodePacketAt over buf[start, end)) instead of a view of exactly its bytes. Both must
// give the same packet for every frame, and the bytes around the frame must never be read:
// here they are 0xff filler, so a read past the frame's end would change a field.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeFrame, decodePacketAt, encapOf } from '../../src/decode/index.js';
import type { Encap } from '../../src/model.js';
import { PINNED, readFrames, type CorpusFrame } from './corpus.js';
import { corpusRoot } from '../readers/corpus-root.js';

const CORPUS = corpusRoot();

const FIXTURES = new URL('../../fixtures/', import.meta.url).pathname;

function captures(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return captures(path);
    return /\.(pcap|pcapng)$/.test(name) ? [path] : [];
  });
}

function framesOf(files: string[]): CorpusFrame[] {
  return files.flatMap((file) => {
    try {
      return readFrames(file);
    } catch {
      return []; // files the readers refuse are their tests' business
    }
  });
}

/** The frame's first `length` bytes at offset 37 of a buffer filled with 0xff around them. */
function embedded(data: Uint8Array, length: number): { buf: Uint8Array; start: number; end: number } {
  const buf = new Uint8Array(37 + length + 64).fill(0xff);
  buf.set(data.subarray(0, length), 37);
  return { buf, start: 37, end: 37 + length };
}

function agrees(frame: CorpusFrame, length: number): void {
  const cut = frame.data.slice(0, length);
  const expected = decodeFrame(frame.linkType, cut, frame.origLen);
  const { buf, start, end } = embedded(frame.data, length);
  const scratch: Encap[] = [];
  const got = decodePacketAt(frame.linkType, buf, start, end, frame.origLen, scratch);
  const actual = typeof got === 'string' ? { kind: 'skipped', skip: got } : { kind: 'packet', ip: got, encap: encapOf(scratch) };
  expect(actual).toEqual(expected);
  if (typeof got !== 'string') expect(scratch).toEqual([]);
}

describe('decodePacketAt, a frame inside a larger buffer', () => {
  const local = framesOf(captures(FIXTURES).concat(captures(PINNED)));

  it('decodes every frame of the fixtures as decodeFrame does, reading nothing around it', () => {
    expect(local.length).toBeGreaterThan(500);
    for (const frame of local) agrees(frame, frame.data.length);
  });

  it('agrees on every cut of the first frames of each fixture (every truncation point)', () => {
    let cuts = 0;
    for (const frame of local.filter((_, i) => i % 7 === 0).slice(0, 300)) {
      for (let length = 0; length <= frame.data.length; length++, cuts++) agrees(frame, length);
    }
    expect(cuts).toBeGreaterThan(10_000);
  });

  it.skipIf(CORPUS === null)('decodes every frame of the shared corpus as decodeFrame does', () => {
    const frames = framesOf(captures(CORPUS!));
    expect(frames.length).toBeGreaterThan(500);
    for (const frame of frames) agrees(frame, frame.data.length);
  });
});
