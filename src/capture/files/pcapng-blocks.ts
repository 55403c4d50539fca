// pcapng block layouts (draft-ietf-opsawg-pcapng): one parse function per block type that
// the reader needs to understand; every other block is skipped by its length. Each takes
// the window's DataView and the block's position in it, and returns a value or an error
// message; the reader turns a message into a CaptureFileError with the block's offset.
import { type TimeBase, MICROSECOND_BASE, timeBase } from './pcapng-time.js';

export const BlockType = {
  SECTION_HEADER: 0x0a0d0d0a,
  INTERFACE_DESCRIPTION: 1,
  /** The obsolete Packet Block of pcapng 1.0 drafts, still written by old tools. */
  PACKET: 2,
  SIMPLE_PACKET: 3,
  /** Read past by its length; hoptrace's pcapng export writes one per interface with the stop time. */
  INTERFACE_STATISTICS: 5,
  ENHANCED_PACKET: 6,
} as const;

/** Option codes (draft section 3.5 and each block's option table): a code means something only in its block type. */
export const Option = {
  END: 0,
  COMMENT: 1,
  SHB_HARDWARE: 2,
  SHB_OS: 3,
  SHB_USERAPPL: 4,
  IF_NAME: 2,
  IF_DESCRIPTION: 3,
  IF_TSRESOL: 9,
  IF_TSOFFSET: 14,
  EPB_FLAGS: 2,
  ISB_STARTTIME: 2,
  ISB_ENDTIME: 3,
} as const;

export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** Smallest block: type, length, trailing length. */
export const MIN_BLOCK_LENGTH = 12;
/** libpcap's ceiling for a block; anything longer is corruption, not a packet. */
export const MAX_BLOCK_LENGTH = 16 * 1024 * 1024;

/** The byte order of the section whose header starts at `at`, or an error message. */
export function sectionByteOrder(view: DataView, at: number): boolean | string {
  const bom = view.getUint32(at + 8, true);
  if (bom === BYTE_ORDER_MAGIC) return true;
  if (bom === 0x4d3c2b1a) return false;
  return 'section header block has no byte-order magic (0x1a2b3c4d in either order)';
}

/** Checks what a section header says beyond its byte order: only versions 1.0 (and 1.2). */
export function checkSectionHeader(view: DataView, at: number, length: number, le: boolean): string | null {
  if (length < 28) return `section header block length ${length} is less than the minimum of 28`;
  const major = view.getUint16(at + 12, le);
  const minor = view.getUint16(at + 14, le);
  // libpcap reads 1.2 as 1.0: the draft's 1.2 was never a different layout.
  if (major !== 1 || (minor !== 0 && minor !== 2)) return `unsupported pcapng savefile version ${major}.${minor}`;
  return null;
}

export interface InterfaceDescription {
  linkType: number;
  snaplen: number;
  name?: string;
  time: TimeBase;
}

/** An Interface Description Block with the options the reader uses: if_name, if_tsresol, if_tsoffset. */
export function parseInterface(view: DataView, at: number, length: number, le: boolean): InterfaceDescription | string {
  if (length < 20) return `interface description block length ${length} is less than the minimum of 20`;
  const found: InterfaceDescription = {
    linkType: view.getUint16(at + 8, le),
    snaplen: view.getUint32(at + 12, le),
    time: MICROSECOND_BASE,
  };
  let tsresol = 6;
  let tsoffset = 0;
  const end = at + length - 4;
  for (let p = at + 16; p + 4 <= end; ) {
    const code = view.getUint16(p, le);
    const size = view.getUint16(p + 2, le);
    if (code === Option.END) break;
    if (p + 4 + size > end) return `interface option ${code} length ${size} runs past the end of the block`;
    if (code === Option.IF_NAME) found.name = utf8(view, p + 4, size);
    else if (code === Option.IF_TSRESOL && size >= 1) tsresol = view.getUint8(p + 4);
    else if (code === Option.IF_TSOFFSET && size >= 8) tsoffset = Number(view.getBigInt64(p + 4, le));
    p += 4 + ((size + 3) & ~3);
  }
  if (tsresol !== 6 || tsoffset !== 0) {
    const time = timeBase(tsresol, tsoffset);
    if (typeof time === 'string') return time;
    found.time = time;
  }
  return found;
}

function utf8(view: DataView, at: number, size: number): string {
  const bytes = new Uint8Array(view.buffer, view.byteOffset + at, size);
  // Writers differ on whether the string carries a terminating NUL.
  const nul = bytes.indexOf(0);
  return Buffer.from(nul >= 0 ? bytes.subarray(0, nul) : bytes).toString('utf8');
}
