// What a file is when it is not a capture hoptrace reads, told from its first bytes without
// ever showing them: a file named by mistake (or on purpose, `../../etc/shadow`) must not
// have its contents echoed into an error line or a CI log. Only magic numbers of known
// formats are named; anything else is described as unknown.

interface KnownMagic {
  bytes: number[];
  what: string;
}

const KNOWN: readonly KnownMagic[] = [
  { bytes: [0x1f, 0x8b], what: 'a gzip-compressed file: decompress it first' },
  { bytes: [0x42, 0x5a, 0x68], what: 'a bzip2-compressed file: decompress it first' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58], what: 'an xz-compressed file: decompress it first' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], what: 'a zstd-compressed file: decompress it first' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a zip archive: extract it first' },
  { bytes: [0x73, 0x6e, 0x6f, 0x6f], what: 'a snoop capture: convert it with `editcap -F pcapng`' },
  { bytes: [0x47, 0x4d, 0x42, 0x55], what: 'a Network Monitor capture: convert it with `editcap -F pcapng`' },
];

/** The words for a file's leading bytes, naming only formats known by their magic number. */
export function describeMagic(head: Uint8Array): string {
  for (const known of KNOWN) {
    if (known.bytes.every((b, i) => head[i] === b)) return known.what;
  }
  return 'its first 4 bytes are no known capture magic number; the bytes are not shown';
}
