// The classic pcap layout, shared by the pcap-parser path (microseconds) and our own
// reader (nanoseconds): file header checks, record header checks, timestamp fractions.
import { CaptureFileError } from '../../errors.js';
import type { SourceWarning } from '../../model.js';
import type { CaptureInterface } from './types.js';

export const PCAP_HEADER_LENGTH = 24;
export const PCAP_RECORD_HEADER_LENGTH = 16;
export const MAGIC_MICRO = 0xa1b2c3d4;
export const MAGIC_NANO = 0xa1b23c4d;

/**
 * libpcap's largest snapshot length for almost every link type. A record longer than this
 * and than the file's own snaplen is corruption, not a packet; refusing it up front also
 * keeps pcap-parser from buffering the rest of the file while it waits for the record.
 */
export const MAX_RECORD_LENGTH = 262144;

/**
 * The most a file's own snaplen can raise that limit to: the same 16 MiB as pcapng's block
 * limit. A snaplen of 0xffffffff must not let a 4 GiB record length through (pcap-parser
 * would wait for it by buffering, the native reader by allocating).
 */
export const MAX_SNAPLEN_HONOURED = 16 * 1024 * 1024;

export interface PcapFileHeader {
  littleEndian: boolean;
  nanosecond: boolean;
  snaplen: number;
  /** The low 16 bits of the link-type field; the upper bits hold FCS information. */
  linkType: number;
  /** The longest record accepted: max(min(snaplen, MAX_SNAPLEN_HONOURED), MAX_RECORD_LENGTH). */
  recordLimit: number;
}

// libpcap's pcap-common.h: bits 16-25 are reserved, 26 says the FCS length in 28-31 is valid.
const LINKTYPE_RESERVED_BITS = 0x03ff0000;

/** Reads and checks the 24-byte file header; libpcap's wording for what it rejects. */
export function parsePcapHeader(file: string, view: DataView): PcapFileHeader {
  if (view.byteLength < PCAP_HEADER_LENGTH) {
    throw new CaptureFileError(file, 0, `file header cut short: ${view.byteLength} of ${PCAP_HEADER_LENGTH} bytes`);
  }
  const big = view.getUint32(0, false);
  const little = view.getUint32(0, true);
  const littleEndian = little === MAGIC_MICRO || little === MAGIC_NANO;
  const magic = littleEndian ? little : big;
  if (magic !== MAGIC_MICRO && magic !== MAGIC_NANO) {
    // Reached only through a reader opened on another magic: the bytes are not shown.
    throw new CaptureFileError(file, 0, 'not a pcap file (no pcap magic number)');
  }
  const major = view.getUint16(4, littleEndian);
  const minor = view.getUint16(6, littleEndian);
  // Every libpcap since 0.4 (1998) writes 2.4; older minor versions swap caplen and len.
  if (major !== 2 || minor !== 4) {
    throw new CaptureFileError(file, 0, `unsupported pcap savefile version ${major}.${minor}`);
  }
  const snaplen = view.getUint32(16, littleEndian);
  const linkField = view.getUint32(20, littleEndian);
  if ((linkField & LINKTYPE_RESERVED_BITS) !== 0) {
    const reserved = (linkField & LINKTYPE_RESERVED_BITS) >>> 0;
    throw new CaptureFileError(file, 0, `savefile linktype reserved field not zero (0x${hex8(reserved)})`);
  }
  // The FCS bits (26-31) are accepted and dropped: decoders find the IP packet by its own
  // length fields, so trailing FCS bytes never reach a decoded field.
  return {
    littleEndian,
    nanosecond: magic === MAGIC_NANO,
    snaplen,
    linkType: linkField & 0xffff,
    recordLimit: Math.max(Math.min(snaplen, MAX_SNAPLEN_HONOURED), MAX_RECORD_LENGTH),
  };
}

/** Refuses a record whose captured length cannot be real; returns the length when it can. */
export function checkRecordLength(file: string, offset: number, caplen: number, header: PcapFileHeader): number {
  if (caplen > header.recordLimit) {
    throw new CaptureFileError(
      file,
      offset,
      `record length ${caplen} exceeds the limit of ${header.recordLimit} bytes (snaplen ${header.snaplen})`,
    );
  }
  return caplen;
}

/** The one interface of a classic pcap file. */
export function pcapInterface(header: PcapFileHeader): CaptureInterface {
  return { id: 0, linkType: header.linkType, snaplen: header.snaplen, section: 0, offset: 0 };
}

/**
 * A classic pcap record's time, as seconds and nanoseconds. Fractions out of range
 * (ts_usec 1000000 and more, from broken or fuzzed writers) are carried into the seconds,
 * so that time order stays meaningful; the first one of a file is reported.
 */
export class PcapClock {
  sec = 0;
  nsec = 0;
  private carried = 0;
  private readonly perSecond: number;
  private readonly nsecPerUnit: number;

  constructor(
    private readonly file: string,
    private readonly warnings: SourceWarning[],
    nanosecond: boolean,
  ) {
    this.perSecond = nanosecond ? 1e9 : 1e6;
    this.nsecPerUnit = nanosecond ? 1 : 1000;
  }

  set(sec: number, fraction: number, offset: number): void {
    if (fraction < this.perSecond) {
      this.sec = sec;
      this.nsec = fraction * this.nsecPerUnit;
      return;
    }
    if (this.carried++ === 0) {
      const unit = this.perSecond === 1e6 ? 'microseconds' : 'nanoseconds';
      const message = `timestamp fraction ${fraction} ${unit} is out of range; carried into the seconds`;
      this.warnings.push({ file: this.file, offset, message });
    }
    const whole = Math.floor(fraction / this.perSecond);
    this.sec = sec + whole;
    this.nsec = (fraction - whole * this.perSecond) * this.nsecPerUnit;
  }
}

export function truncationWarning(file: string, offset: number, records: number): SourceWarning {
  return { file, offset, message: `capture ends mid-record (truncated file?); read ${records} records` };
}

export function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
