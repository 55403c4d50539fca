// Our own classic pcap reader. pcap-parser (the design card's reader) knows only the
// microsecond magic, so nanosecond files come here; it reads microsecond files too, which
// lets the benchmark compare the two on the same bytes.
import { FileWindow } from './file-window.js';
import type { CaptureInterface, CaptureRecord, RecordReader } from './types.js';
import {
  PCAP_HEADER_LENGTH,
  PCAP_RECORD_HEADER_LENGTH,
  PcapClock,
  type PcapFileHeader,
  checkRecordLength,
  parsePcapHeader,
  pcapInterface,
} from './pcap-layout.js';
import { WindowedReader } from './windowed-reader.js';

export class NativePcapReader extends WindowedReader implements RecordReader {
  readonly format: 'pcap' | 'pcap-ns';
  private readonly header: PcapFileHeader;
  private readonly iface: CaptureInterface;
  private readonly clock: PcapClock;
  private offset = PCAP_HEADER_LENGTH;

  constructor(file: string, window: FileWindow) {
    super(file, window);
    window.ensure(0, Math.min(PCAP_HEADER_LENGTH, window.size));
    this.header = parsePcapHeader(file, window.view);
    this.format = this.header.nanosecond ? 'pcap-ns' : 'pcap';
    this.iface = pcapInterface(this.header);
    this.clock = new PcapClock(file, this.warnings, this.header.nanosecond);
  }

  interfaces(): CaptureInterface[] {
    return [this.iface];
  }

  next(): CaptureRecord | null {
    if (this.done) return null;
    const win = this.window;
    const offset = this.offset;
    if (!win.ensure(offset, PCAP_RECORD_HEADER_LENGTH)) return this.finish(offset);
    const le = this.header.littleEndian;
    const view = win.view;
    const at = offset - win.start;
    const caplen = checkRecordLength(this.file, offset, view.getUint32(at + 8, le), this.header);
    const sec = view.getUint32(at, le);
    const fraction = view.getUint32(at + 4, le);
    const origLen = view.getUint32(at + 12, le);
    const data = offset + PCAP_RECORD_HEADER_LENGTH;
    if (!win.ensure(data, caplen)) return this.finish(offset);
    this.clock.set(sec, fraction, offset);
    this.offset = data + caplen;
    this.records++;
    return {
      iface: 0,
      linkType: this.header.linkType,
      tsSec: this.clock.sec,
      tsNsec: this.clock.nsec,
      data: win.slice(data - win.start, caplen),
      origLen,
      offset,
    };
  }
}
