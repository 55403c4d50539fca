// A streaming pcapng reader: blocks are walked by their length through a FileWindow, so a
// file of any size is read in ~1 MiB pieces. Sections may change byte order; interface ids
// restart in every section, so each section maps its ids to indexes in interfaces().
import { CaptureFileError } from '../../errors.js';
import type { CaptureInterface, CaptureRecord, RecordReader } from './types.js';
import {
  BlockType,
  MAX_BLOCK_LENGTH,
  MIN_BLOCK_LENGTH,
  checkSectionHeader,
  parseInterface,
  sectionByteOrder,
} from './pcapng-blocks.js';
import { type SplitTime, type TimeBase, splitTimestamp } from './pcapng-time.js';
import { WindowedReader } from './windowed-reader.js';

/**
 * Most interfaces one file may describe, over all its sections. Each costs memory for the
 * whole read, and a 20-byte block is enough to add one: 100 MB of them took 1.3 GB. Real
 * files have a few, and concatenated ring-buffer files one per section.
 */
export const MAX_INTERFACES = 65536;

export class PcapngReader extends WindowedReader implements RecordReader {
  readonly format = 'pcapng' as const;
  private readonly ifaces: CaptureInterface[] = [];
  private readonly times: TimeBase[] = [];
  /** This section's interface ids -> indexes in ifaces. */
  private sectionIfaces: number[] = [];
  private section = -1;
  private le = true;
  private offset = 0;
  private readonly time: SplitTime = { sec: 0, nsec: 0 };
  private spbWarned = false;

  interfaces(): CaptureInterface[] {
    return this.ifaces;
  }

  next(): CaptureRecord | null {
    const win = this.window;
    while (!this.done) {
      const offset = this.offset;
      if (!win.ensure(offset, 8)) return this.finish(offset);
      const type = win.view.getUint32(offset - win.start, this.le);
      if (type === BlockType.SECTION_HEADER) {
        // The palindromic type reads the same in both orders; the length needs the new one.
        if (!win.ensure(offset, 12)) return this.finish(offset);
        const order = sectionByteOrder(win.view, offset - win.start);
        if (typeof order === 'string') this.fail(offset, order);
        this.le = order;
      }
      const length = this.blockLength(offset);
      if (!win.ensure(offset, length)) return this.finish(offset);
      const at = offset - win.start;
      const view = win.view;
      const trailer = view.getUint32(at + length - 4, this.le);
      if (trailer !== length) this.fail(offset, `block total length in header ${length} and trailer ${trailer} don't match`);
      this.offset = offset + length;
      if (type === BlockType.ENHANCED_PACKET) return this.packet(at, offset, length, view.getUint32(at + 8, this.le));
      if (type === BlockType.SIMPLE_PACKET) return this.simplePacket(at, offset, length);
      if (type === BlockType.PACKET) return this.packet(at, offset, length, view.getUint16(at + 8, this.le));
      if (type === BlockType.INTERFACE_DESCRIPTION) this.addInterface(at, offset, length);
      else if (type === BlockType.SECTION_HEADER) this.startSection(at, offset, length);
    }
    return null;
  }

  private blockLength(offset: number): number {
    const length = this.window.view.getUint32(offset - this.window.start + 4, this.le);
    const problem =
      length < MIN_BLOCK_LENGTH
        ? `block length ${length} is less than the minimum of ${MIN_BLOCK_LENGTH}`
        : length % 4 !== 0
          ? `block length ${length} is not a multiple of 4`
          : length > MAX_BLOCK_LENGTH
            ? `block length ${length} exceeds the limit of ${MAX_BLOCK_LENGTH} bytes`
            : null;
    if (problem) this.fail(offset, problem);
    return length;
  }

  /**
   * EPB and the obsolete PB share their layout from byte 12 on: timestamp high and low,
   * captured length, original length, data; only the interface id field differs in width.
   */
  private packet(at: number, offset: number, length: number, id: number): CaptureRecord {
    const view = this.window.view;
    const le = this.le;
    if (length < 32) this.fail(offset, `packet block length ${length} is less than the minimum of 32`);
    const caplen = view.getUint32(at + 20, le);
    if (caplen > length - 32) this.fail(offset, `captured length ${caplen} exceeds the block's ${length - 32} bytes of packet data`);
    const iface = this.interfaceIndex(offset, id);
    splitTimestamp(view.getUint32(at + 12, le), view.getUint32(at + 16, le), this.times[iface], this.time);
    this.records++;
    const data = at + 28;
    return {
      iface,
      linkType: this.ifaces[iface].linkType,
      tsSec: this.time.sec,
      tsNsec: this.time.nsec,
      data: this.window.slice(data, caplen),
      origLen: view.getUint32(at + 24, le),
      offset,
    };
  }

  /**
   * A Simple Packet Block belongs to the section's first interface and has no timestamp.
   * It gets the time of the packet before it, so that merging hops by time keeps it in place.
   */
  private simplePacket(at: number, offset: number, length: number): CaptureRecord {
    if (length < 16) this.fail(offset, `simple packet block length ${length} is less than the minimum of 16`);
    const iface = this.interfaceIndex(offset, 0);
    const origLen = this.window.view.getUint32(at + 8, this.le);
    const snaplen = this.ifaces[iface].snaplen;
    let caplen = Math.min(origLen, length - 16);
    if (snaplen > 0 && snaplen < caplen) caplen = snaplen;
    if (!this.spbWarned) {
      this.spbWarned = true;
      const message = 'simple packet blocks carry no timestamp; each is given the time of the packet before it';
      this.warnings.push({ file: this.file, offset, message });
    }
    this.records++;
    return {
      iface,
      linkType: this.ifaces[iface].linkType,
      tsSec: this.time.sec,
      tsNsec: this.time.nsec,
      data: this.window.slice(at + 12, caplen),
      origLen,
      offset,
    };
  }

  private interfaceIndex(offset: number, id: number): number {
    const index = this.sectionIfaces[id];
    if (index === undefined) {
      const defined = this.sectionIfaces.length;
      this.fail(offset, `packet refers to interface ${id}, but this section defines ${defined} interface${defined === 1 ? '' : 's'}`);
    }
    return index;
  }

  private addInterface(at: number, offset: number, length: number): void {
    if (this.ifaces.length === MAX_INTERFACES) this.fail(offset, `more than ${MAX_INTERFACES} interface description blocks in one file`);
    const found = parseInterface(this.window.view, at, length, this.le);
    if (typeof found === 'string') this.fail(offset, found);
    const iface: CaptureInterface = {
      id: this.sectionIfaces.length,
      linkType: found.linkType,
      snaplen: found.snaplen,
      section: this.section,
      offset,
    };
    if (found.name !== undefined) iface.name = found.name;
    this.sectionIfaces.push(this.ifaces.length);
    this.ifaces.push(iface);
    this.times.push(found.time);
  }

  private startSection(at: number, offset: number, length: number): void {
    const problem = checkSectionHeader(this.window.view, at, length, this.le);
    if (problem) this.fail(offset, problem);
    this.section++;
    this.sectionIfaces = [];
  }

  private fail(offset: number, problem: string): never {
    this.done = true;
    throw new CaptureFileError(this.file, offset, problem);
  }
}
