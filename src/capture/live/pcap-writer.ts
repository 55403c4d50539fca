import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import type { Frame } from '../../model.js';
import { CAPTURE_SNAPLEN } from './netns-capture.js';

/** Classic pcap with nanosecond timestamps (magic a1b23c4d), little-endian as we write it. */
export const PCAP_NSEC_MAGIC = 0xa1b23c4d;
/** The snaplen the live capture used: the file says how much of each packet it holds. */
export const SNAPLEN = CAPTURE_SNAPLEN;

export function pcapFileHeader(linkType: number, snaplen = SNAPLEN): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(PCAP_NSEC_MAGIC, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeInt32LE(0, 8); // thiszone: timestamps are UTC
  header.writeUInt32LE(0, 12); // sigfigs
  header.writeUInt32LE(snaplen, 16);
  header.writeUInt32LE(linkType, 20);
  return header;
}

export function pcapRecord(frame: Frame): Buffer {
  const record = Buffer.allocUnsafe(16 + frame.data.length);
  record.writeUInt32LE(frame.tsSec, 0);
  record.writeUInt32LE(frame.tsNsec, 4);
  record.writeUInt32LE(frame.data.length, 8);
  record.writeUInt32LE(Math.max(frame.origLen, frame.data.length), 12);
  record.set(frame.data, 16);
  return record;
}

/**
 * One hop's pcap file. Records are buffered and written whole by flush(), so a run that is
 * killed between flushes leaves a file that ends on a record boundary (or, killed inside a
 * write, one cut record that readers report as truncated).
 */
export class PcapWriter {
  private readonly fd: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private closed = false;

  constructor(readonly path: string, linkType: number) {
    this.fd = openSync(path, 'w');
    writeSync(this.fd, pcapFileHeader(linkType));
  }

  write(frame: Frame): void {
    if (this.closed) return;
    const record = pcapRecord(frame);
    this.pending.push(record);
    this.pendingBytes += record.length;
    if (this.pendingBytes >= 1 << 20) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0 || this.closed) return;
    const data = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    let offset = 0;
    while (offset < data.length) offset += writeSync(this.fd, data, offset);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.closed = true;
  }
}
