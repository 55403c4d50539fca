// Classic microsecond pcap through the `pcap-parser` package, as the design card asks.
// pcap-parser is stream based: it listens for 'data' on whatever it is given. We give it a
// plain EventEmitter and emit the chunks we read ourselves, so its 'packet' events fire
// synchronously, inside our emit, into a queue that next() drains. That keeps one pull
// interface for every format and never loads the whole file.
import { EventEmitter } from 'node:events';
import { readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { CaptureFileError } from '../../errors.js';
import type { SourceWarning } from '../../model.js';
import { CHUNK_SIZE } from './file-window.js';
import type { CaptureInterface, CaptureRecord, RecordReader } from './types.js';
import {
  PCAP_HEADER_LENGTH,
  PCAP_RECORD_HEADER_LENGTH,
  PcapClock,
  type PcapFileHeader,
  checkRecordLength,
  parsePcapHeader,
  pcapInterface,
  truncationWarning,
} from './pcap-layout.js';

interface PcapParserPacket {
  header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number };
  data: Buffer;
}
interface PcapParserModule {
  parse(input: EventEmitter): EventEmitter;
}

const pcapParser = createRequire(import.meta.url)('pcap-parser') as PcapParserModule;

/** Thrown through pcap-parser to stop it at a record the file cannot hold (never escapes feed()). */
const CUT_SHORT = Symbol('record runs past the end of the file');

export class PcapParserReader implements RecordReader {
  readonly format = 'pcap' as const;
  readonly warnings: SourceWarning[] = [];
  private readonly header: PcapFileHeader;
  private readonly iface: CaptureInterface;
  private readonly clock: PcapClock;
  private readonly input = Object.assign(new EventEmitter(), { pause() {}, resume() {} });
  private queue: CaptureRecord[] = [];
  private head = 0;
  /** Offset of the next record pcap-parser will hand over: 24 + sum of (16 + caplen). */
  private nextOffset = PCAP_HEADER_LENGTH;
  private fedUpTo = 0;
  private records = 0;
  private failure: CaptureFileError | null = null;
  private done = false;

  constructor(
    readonly file: string,
    private readonly fd: number,
    readonly size: number,
    private readonly closeFile: () => void,
  ) {
    const first = Buffer.alloc(Math.min(PCAP_HEADER_LENGTH, size));
    readSync(fd, first, 0, first.length, 0);
    // Checked before pcap-parser sees it: its own version check lets 2.x and x.4 through.
    this.header = parsePcapHeader(file, new DataView(first.buffer, first.byteOffset, first.length));
    this.iface = pcapInterface(this.header);
    this.clock = new PcapClock(file, this.warnings, false);
    const parser = pcapParser.parse(this.input);
    // pcap-parser announces a record header before it waits for the record's bytes. An
    // absurd length would make it buffer the rest of the file, so it is refused here: the
    // throw unwinds out of pcap-parser and out of our emit, where feed() catches it.
    // A record that would run past the end of the file is where the file was cut: pcap-parser
    // would buffer everything after it while waiting, so reading stops there instead.
    parser.on('packetHeader', (h: PcapParserPacket['header']) => {
      checkRecordLength(file, this.nextOffset, h.capturedLength, this.header);
      if (this.nextOffset + PCAP_RECORD_HEADER_LENGTH + h.capturedLength > this.size) throw CUT_SHORT;
    });
    parser.on('packet', (packet: PcapParserPacket) => this.queue.push(this.toRecord(packet)));
    parser.on('error', (err: Error) => {
      this.failure = new CaptureFileError(file, this.nextOffset, err.message);
    });
  }

  interfaces(): CaptureInterface[] {
    return [this.iface];
  }

  bytesRead(): number {
    return this.fedUpTo;
  }

  next(): CaptureRecord | null {
    while (this.head === this.queue.length) {
      if (this.failure) throw this.failure;
      if (this.done) return null;
      this.feed();
    }
    return this.queue[this.head++];
  }

  private toRecord(packet: PcapParserPacket): CaptureRecord {
    const h = packet.header;
    const offset = this.nextOffset;
    this.nextOffset = offset + PCAP_RECORD_HEADER_LENGTH + h.capturedLength;
    this.records++;
    this.clock.set(h.timestampSeconds, h.timestampMicroseconds, offset);
    const { sec: tsSec, nsec: tsNsec } = this.clock;
    return { iface: 0, linkType: this.header.linkType, tsSec, tsNsec, data: packet.data, origLen: h.originalLength, offset };
  }

  private feed(): void {
    this.queue = [];
    this.head = 0;
    const want = Math.min(CHUNK_SIZE, this.size - this.fedUpTo);
    // A fresh buffer per chunk: pcap-parser hands out views of it that must stay valid.
    const chunk = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const n = readSync(this.fd, chunk, got, want - got, this.fedUpTo + got);
      if (n === 0) break;
      got += n;
    }
    if (got === 0) return this.finish();
    this.fedUpTo += got;
    try {
      withoutBufferDeprecation(() => this.input.emit('data', got === want ? chunk : chunk.subarray(0, got)));
    } catch (err) {
      if (err === CUT_SHORT) return this.finish();
      if (!(err instanceof CaptureFileError)) throw err;
      this.failure = err;
    }
  }

  private finish(): void {
    this.done = true;
    if (this.nextOffset < this.size) this.warnings.push(truncationWarning(this.file, this.nextOffset, this.records));
  }

  close(): void {
    this.done = true;
    this.queue = [];
    this.closeFile();
  }
}

/**
 * pcap-parser joins chunks with the deprecated `new Buffer(size)`. Node stays quiet about
 * that inside node_modules, but prints DEP0005 under --pending-deprecation (or
 * NODE_PENDING_DEPRECATION=1) and when the package is bundled: a warning about a
 * dependency's internals that users can do nothing about. Only that one code is dropped,
 * only while pcap-parser runs, and the original is always put back.
 */
function withoutBufferDeprecation(run: () => void): void {
  const original = process.emitWarning;
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    const code = typeof rest[0] === 'object' && rest[0] !== null ? (rest[0] as { code?: string }).code : rest[1];
    if (code === 'DEP0005') return;
    return (original as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    run();
  } finally {
    process.emitWarning = original;
  }
}
