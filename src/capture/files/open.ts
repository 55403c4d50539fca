// One pull interface over every capture file format hoptrace replays. Readers never hold
// more than about 1 MiB of a file; records are views into the bytes read, not copies.
import { closeSync, readSync } from 'node:fs';
import { CaptureFileError } from '../../errors.js';
import type { SourceWarning } from '../../model.js';
import { FileWindow } from './file-window.js';
import { describeMagic } from './magic.js';
import { MAGIC_MICRO, MAGIC_NANO } from './pcap-layout.js';
import { NativePcapReader } from './pcap-native.js';
import { PcapParserReader } from './pcap-parser-reader.js';
import { BlockType } from './pcapng-blocks.js';
import { PcapngReader } from './pcapng.js';
import { type OpenedFile, RefusedFile, openRegularFile } from './regular-file.js';

/** Written by some patched libpcaps of the early 2000s: longer record headers. */
const MAGIC_MODIFIED = 0xa1b2cd34;

export type { CaptureInterface, CaptureRecord, RecordReader } from './types.js';
import type { RecordReader } from './types.js';

export interface OpenOptions {
  /**
   * Which reader takes classic microsecond pcap: pcap-parser (the design card's choice, the
   * default) or our own, which the benchmark runs side by side with it.
   */
  classicReader?: 'pcap-parser' | 'native';
}

/** Opens a pcap (µs or ns, either byte order) or pcapng file, chosen by its magic number. */
export function openCaptureFile(path: string, options: OpenOptions = {}): RecordReader {
  const { fd, size } = openOrExplain(path);
  try {
    checkSize(path, size);
    const magic = Buffer.alloc(4);
    readSync(fd, magic, 0, 4, 0);
    const be = magic.readUInt32BE(0);
    const le = magic.readUInt32LE(0);
    if (be === BlockType.SECTION_HEADER) return new PcapngReader(path, new FileWindow(fd, size));
    if (be === MAGIC_NANO || le === MAGIC_NANO) return new NativePcapReader(path, new FileWindow(fd, size));
    if (be === MAGIC_MICRO || le === MAGIC_MICRO) {
      if (options.classicReader === 'native') return new NativePcapReader(path, new FileWindow(fd, size));
      return new PcapParserReader(path, fd, size, () => closeSync(fd));
    }
    if (be === MAGIC_MODIFIED || le === MAGIC_MODIFIED) {
      throw new CaptureFileError(path, 0, "unsupported pcap variant: Kuznetzov's modified pcap (magic 0xa1b2cd34)");
    }
    throw new CaptureFileError(path, 0, `not a pcap or pcapng file (${describeMagic(magic)})`);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** Refuses FIFOs, devices, sockets and directories before opening them (see regular-file.ts). */
function openOrExplain(path: string): OpenedFile {
  try {
    return openRegularFile(path);
  } catch (err) {
    if (!(err instanceof RefusedFile)) throw err;
    const why = err.code === 'EISDIR' ? 'a directory, not a capture file' : err.why;
    throw new CaptureFileError(path, 0, `cannot open: ${why}`);
  }
}

function checkSize(path: string, size: number): void {
  if (size === 0) throw new CaptureFileError(path, 0, 'empty file (0 bytes): not a capture');
  if (size < 4) throw new CaptureFileError(path, 0, `file of ${size} bytes is too short to be a capture`);
}
