// Access to the shared capture corpus (../shared/corpus, absent in a user's clone) and to the
// few files pinned into fixtures/corpus-decode, plus readers for the upstream expected outputs.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCaptureFile } from '../../src/capture/files/open.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CORPUS = resolve(REPO, '../shared/corpus');
export const PINNED = join(REPO, 'fixtures/corpus-decode');
export const HAVE_CORPUS = existsSync(CORPUS);

/** A pinned copy when there is one, else the shared corpus (the caller skips when it is absent). */
export function corpusFile(relative: string): string {
  const pinned = join(PINNED, relative);
  return existsSync(pinned) ? pinned : join(CORPUS, relative);
}

export function isPinned(relative: string): boolean {
  return existsSync(join(PINNED, relative));
}

export interface CorpusFrame { linkType: number; data: Uint8Array; origLen: number }

/** Every record of a capture file, copied out of the reader's buffer. */
export function readFrames(path: string): CorpusFrame[] {
  const reader = openCaptureFile(path);
  const frames: CorpusFrame[] = [];
  try {
    for (let r = reader.next(); r !== null; r = reader.next()) {
      frames.push({ linkType: r.linkType, data: r.data.slice(), origLen: r.origLen });
    }
  } finally {
    reader.close();
  }
  return frames;
}

/** tcpdump's `-#` output: each packet's text, continuation lines included, by packet number. */
export function readTcpdumpOut(path: string): string[] {
  const packets: string[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^ *(\d+) {2}/.exec(line);
    if (m && Number(m[1]) === packets.length + 1) packets.push(line);
    else if (packets.length > 0) packets[packets.length - 1] += '\n' + line;
  }
  return packets;
}
