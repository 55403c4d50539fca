// What the annotated pcapng can only say once the trace has ended: the cause of a vanished
// packet (causes come from the host's state read after the capture), the host's state itself
// (in the section header), and the comments of a flow --filter kept only late. Frames are
// written as they settle; each frame that may need more is noted in a spool file beside the
// export (its offset and flow, a few dozen bytes), so memory stays flat whatever the length
// of the trace. At the end the file is moved aside and copied back, block by block, with the
// new section header and the completed packet blocks; nothing else is touched.
import { closeSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { packetComments as packetCommentsOf, withPacketComments } from '../capture/files/pcapng-writer.js';

/** A frame that may need more said about it once the trace has ended. */
export interface PatchRecord {
  /** Where its Enhanced Packet Block starts in the export. */
  offset: number;
  flowId: number;
  reply: boolean;
  /** The hops it vanished between (travel order) when this is its last sighting. */
  vanished?: [number, number];
  /** Its comments, when they were held back (its flow was not yet known to be kept). */
  comments?: string[];
}

const HEAD = 24;
const CHUNK = 1 << 20;

function writeAll(fd: number, buf: Buffer, length = buf.length): void {
  for (let at = 0; at < length; ) at += writeSync(fd, buf, at, length - at);
}

/** Patch records appended to a file through a 1 MiB buffer, read back in the order written. */
export class PatchSpool {
  private fd?: number;
  private buf = Buffer.allocUnsafe(CHUNK);
  private used = 0;
  count = 0;
  private readonly onExit = (): void => this.dispose();

  constructor(readonly path: string) {}

  add(record: PatchRecord): void {
    const text = record.comments ? Buffer.from(record.comments.join('\u0000'), 'utf8') : undefined;
    const size = HEAD + (text?.length ?? 0);
    if (this.used + size > this.buf.length) this.flush();
    if (size > this.buf.length) this.buf = Buffer.allocUnsafe(size);
    const b = this.buf;
    const at = this.used;
    b.writeDoubleLE(record.offset, at);
    b.writeUInt32LE(record.flowId, at + 8);
    b.writeInt16LE(record.vanished?.[0] ?? -1, at + 12);
    b.writeInt16LE(record.vanished?.[1] ?? -1, at + 14);
    b.writeUInt32LE((record.reply ? 1 : 0) | (text ? 2 : 0), at + 16);
    b.writeUInt32LE(text?.length ?? 0, at + 20);
    text?.copy(b, at + HEAD);
    this.used += size;
    this.count++;
  }

  private flush(): void {
    if (this.used === 0) return;
    if (this.fd === undefined) {
      this.fd = openSync(this.path, 'w+');
      process.once('exit', this.onExit);
    }
    writeAll(this.fd, this.buf, this.used);
    this.used = 0;
  }

  /** Every record, in the order they were added. */
  *records(): Generator<PatchRecord> {
    if (this.fd === undefined) {
      yield* parse(this.buf.subarray(0, this.used));
      return;
    }
    this.flush();
    let carry = Buffer.alloc(0);
    let position = 0;
    const chunk = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const n = readSync(this.fd, chunk, 0, CHUNK, position);
      if (n === 0) break;
      position += n;
      const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      const used = yield* parse(data);
      carry = Buffer.from(data.subarray(used));
    }
  }

  dispose(): void {
    process.removeListener('exit', this.onExit);
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    try {
      unlinkSync(this.path);
    } catch {
      // Already gone.
    }
  }
}

/** The whole records in `data`; returns how many bytes they took. */
function* parse(data: Buffer): Generator<PatchRecord, number> {
  let at = 0;
  while (at + HEAD <= data.length) {
    const textLength = data.readUInt32LE(at + 20);
    if (at + HEAD + textLength > data.length) break;
    const flags = data.readUInt32LE(at + 16);
    const a = data.readInt16LE(at + 12);
    const record: PatchRecord = { offset: data.readDoubleLE(at), flowId: data.readUInt32LE(at + 8), reply: (flags & 1) !== 0 };
    if (a >= 0) record.vanished = [a, data.readInt16LE(at + 14)];
    if (flags & 2) record.comments = data.toString('utf8', at + HEAD, at + HEAD + textLength).split('\u0000');
    yield record;
    at += HEAD + textLength;
  }
  return at;
}

/** A packet block's comments as they should finally read, or undefined to leave it as written. */
export type Completion = (record: PatchRecord, written: () => string[]) => string[] | undefined;

function readBlock(fd: number, offset: number): Buffer {
  const head = Buffer.alloc(8);
  readSync(fd, head, 0, 8, offset);
  const block = Buffer.alloc(head.readUInt32LE(4));
  readSync(fd, block, 0, block.length, offset);
  return block;
}

function copyRange(from: number, to: number, start: number, end: number, chunk: Buffer): void {
  for (let p = start; p < end; ) {
    const n = readSync(from, chunk, 0, Math.min(chunk.length, end - p), p);
    if (n === 0) break;
    writeAll(to, chunk, n);
    p += n;
  }
}

/**
 * Rewrites the export at `file`: `sectionHeader` in place of its first block, and each spooled
 * packet block that `complete` completes. The original is moved aside first and removed after.
 */
export function rewriteExport(file: string, sectionHeader: Buffer, spool: PatchSpool, complete: Completion): void {
  const aside = `${file}.hoptrace-${process.pid}.tmp`;
  renameSync(file, aside);
  const from = openSync(aside, 'r');
  const to = openSync(file, 'w');
  let done = false;
  try {
    copyPatched(from, to, statSync(aside).size, sectionHeader, spool, complete);
    done = true;
  } finally {
    closeSync(from);
    closeSync(to);
    // A copy that failed half-way leaves the export as it was written, not cut short.
    if (done) unlinkSync(aside);
    else renameSync(aside, file);
  }
}

function copyPatched(from: number, to: number, size: number, sectionHeader: Buffer, spool: PatchSpool, complete: Completion): void {
  const chunk = Buffer.allocUnsafe(CHUNK);
  let position = readBlock(from, 0).length;
  writeAll(to, sectionHeader);
  for (const record of spool.records()) {
    let block: Buffer | undefined;
    const written = (): string[] => packetCommentsOf((block ??= readBlock(from, record.offset)));
    const comments = complete(record, written);
    if (!comments) continue;
    block ??= readBlock(from, record.offset);
    copyRange(from, to, position, record.offset, chunk);
    writeAll(to, withPacketComments(block, comments));
    position = record.offset + block.length;
  }
  copyRange(from, to, position, size, chunk);
}
