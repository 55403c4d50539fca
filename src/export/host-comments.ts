// The host's state around a trace (host.json) carried in the pcapng's Section Header Block, so
// that `replay X.pcapng` gives the causes of the trace it came from. The spec has no custom
// option without a registered Private Enterprise Number, but opt_comment may be repeated in
// any block: the JSON goes into comments of at most 60,000 bytes, each "hoptrace-host i/n: ".
// Escaped to ASCII, so a chunk never splits a character.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { BYTE_ORDER_MAGIC, BlockType, MAX_BLOCK_LENGTH, Option } from '../capture/files/pcapng-blocks.js';
import { ExitCode, FatalError } from '../errors.js';
import { type HostEvidence, parseHostFile } from '../evidence/host-file.js';

export const HOST_COMMENT_PREFIX = 'hoptrace-host ';
const CHUNK = 60_000;
/** The section header must stay under the block limit readers (ours, Wireshark's) accept. */
export const MAX_HOST_JSON = 8 * 1024 * 1024;

const ascii = (json: string): string => json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** The comments carrying `evidence`, or none when it is too large to carry (then the caller says so). */
export function hostComments(evidence: HostEvidence): string[] {
  const json = ascii(JSON.stringify(evidence));
  if (json.length > MAX_HOST_JSON) return [];
  const n = Math.ceil(json.length / CHUNK);
  return Array.from({ length: n }, (_, i) => `${HOST_COMMENT_PREFIX}${i + 1}/${n}: ${json.slice(i * CHUNK, (i + 1) * CHUNK)}`);
}

function fail(file: string, problem: string): never {
  throw new FatalError(`${file}: section header: ${problem}`, ExitCode.BAD_INPUT);
}

/** The evidence from the comments of a section header, or undefined when it carries none. */
export function evidenceFromComments(comments: readonly string[], file: string): HostEvidence | undefined {
  const parts: string[] = [];
  let total = 0;
  for (const c of comments) {
    if (!c.startsWith(HOST_COMMENT_PREFIX)) continue;
    const m = /^(\d+)\/(\d+): /.exec(c.slice(HOST_COMMENT_PREFIX.length));
    if (!m) fail(file, `a "${HOST_COMMENT_PREFIX.trim()}" comment without its "i/n: " part`);
    const [i, n] = [Number(m[1]), Number(m[2])];
    if (total === 0) total = n;
    if (n !== total || i !== parts.length + 1) fail(file, `host state comment ${i}/${n} out of order (expected ${parts.length + 1}/${total || n})`);
    parts.push(c.slice(HOST_COMMENT_PREFIX.length + m[0].length));
  }
  if (parts.length === 0) return undefined;
  if (parts.length !== total) fail(file, `host state comments 1..${parts.length} of ${total}: the rest are missing`);
  return parseHostFile(parts.join(''), `${file} (host state in the section header)`);
}

/** The comments of the first Section Header Block of a little-endian pcapng file; [] for anything else. */
export function sectionComments(file: string): string[] {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(12);
    if (readSync(fd, head, 0, 12, 0) < 12) return [];
    if (head.readUInt32LE(0) !== BlockType.SECTION_HEADER || head.readUInt32LE(8) !== BYTE_ORDER_MAGIC) return [];
    const length = head.readUInt32LE(4);
    if (length < 28 || length % 4 !== 0 || length > MAX_BLOCK_LENGTH || length > fstatSync(fd).size) return [];
    const shb = Buffer.alloc(length);
    readSync(fd, shb, 0, length, 0);
    const out: string[] = [];
    for (let p = 24; p + 4 <= length - 4; ) {
      const code = shb.readUInt16LE(p);
      const size = shb.readUInt16LE(p + 2);
      if (code === Option.END || p + 4 + size > length - 4) break;
      if (code === Option.COMMENT) out.push(shb.toString('utf8', p + 4, p + 4 + size));
      p += 4 + ((size + 3) & ~3);
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** The host state a pcapng written by hoptrace carries, or undefined (any other file, or none carried). */
export function hostEvidenceInPcapng(file: string): HostEvidence | undefined {
  return evidenceFromComments(sectionComments(file), file);
}
