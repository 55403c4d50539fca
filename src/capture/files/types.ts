// What every capture-file reader hands over, in its own module so that the readers need not
// import open.ts (which imports every reader to choose one).
import type { SourceWarning } from '../../model.js';

/**
 * Where a file cursor stands, without an object per frame: the frame advance() last stepped
 * onto, its bytes at buf[start, end) (valid until the next advance()). The fields of
 * merge.ts's FrameCursor, shared by the cursors that read a file here (HopSource) and in a
 * worker thread (read-thread.ts's ThreadedHopCursor).
 */
export abstract class CursorPosition {
  hop = -1;
  linkType = 0;
  tsSec = 0;
  tsNsec = 0;
  buf: Uint8Array = new Uint8Array(0);
  start = 0;
  end = 0;
  origLen = 0;

  abstract advance(): boolean;

  protected place(hop: number, linkType: number, tsSec: number, tsNsec: number, buf: Uint8Array, start: number, end: number, origLen: number): void {
    this.hop = hop;
    this.linkType = linkType;
    this.tsSec = tsSec;
    this.tsNsec = tsNsec;
    this.buf = buf;
    this.start = start;
    this.end = end;
    this.origLen = origLen;
  }
}

export interface CaptureRecord {
  /** Index into the reader's interfaces() (unique across pcapng sections). */
  iface: number;
  linkType: number;
  tsSec: number;
  tsNsec: number;
  /** The captured bytes: a view into the reader's buffer, valid for as long as it is held. */
  data: Uint8Array;
  origLen: number;
  /** File offset of the record (pcap record header or pcapng block). */
  offset: number;
}

export interface CaptureInterface {
  /** The interface id as the file numbers it: per section in pcapng, always 0 in pcap. */
  id: number;
  linkType: number;
  /** pcapng if_name, when the writer gave one. */
  name?: string;
  snaplen: number;
  /** pcapng section (0-based) the interface belongs to; 0 in pcap. */
  section: number;
  /** File offset of the header or block that describes the interface. */
  offset: number;
}

export interface RecordReader {
  readonly file: string;
  readonly format: 'pcap' | 'pcap-ns' | 'pcapng';
  /** The interfaces met so far: pcapng may describe more as reading goes on. */
  interfaces(): CaptureInterface[];
  /** The next record, or null at the end. Throws CaptureFileError where the file breaks. */
  next(): CaptureRecord | null;
  /** Non-fatal problems met so far, e.g. a file cut short (added when the end is reached). */
  readonly warnings: SourceWarning[];
  /** File size when opened, and how far reading has gone: for progress on long replays. */
  readonly size: number;
  bytesRead(): number;
  close(): void;
}
