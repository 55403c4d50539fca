import { closeSync, readSync } from 'node:fs';

/** Bytes read per refill: big enough that the read syscall costs nothing per record. */
export const CHUNK_SIZE = 1 << 20;

/**
 * A window of a capture file held in memory: bytes [start, end) of the file, read in chunks
 * of about 1 MiB so that no file is ever loaded whole.
 *
 * By default a refill allocates a fresh buffer instead of compacting the old one in place:
 * records handed out earlier are subarray views of the old buffer, and a consumer that still
 * holds one must keep seeing its bytes unchanged. A reader whose consumer is done with a
 * record before asking for the next (the replay's cursor, see HopSource.advance) sets
 * `recycle`, and the one buffer is compacted and refilled: a fresh megabyte per megabyte read
 * is memory the garbage collector must then account for and free.
 */
export class FileWindow {
  buf: Buffer;
  view: DataView;
  /** buf as a plain Uint8Array (what the decoders read: one object shape for every frame's bytes). */
  bytes: Uint8Array;
  /** Refill into the same buffer (see the class comment). */
  recycle = false;
  /** buf's memory and where buf starts in it, for slice(). */
  private memory: ArrayBufferLike;
  private memoryOffset: number;
  /** File offset of buf[0]. */
  start = 0;
  /** File offset just past the last byte read into buf. */
  end = 0;

  constructor(
    private readonly fd: number,
    /** File size when it was opened: a file still being written is read up to here. */
    readonly size: number,
  ) {
    this.buf = Buffer.alloc(0);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, 0);
    this.bytes = new Uint8Array(this.buf.buffer, this.buf.byteOffset, 0);
    this.memory = this.buf.buffer;
    this.memoryOffset = this.buf.byteOffset;
  }

  /**
   * A view of length bytes at buf[at]. Building the Uint8Array on the ArrayBuffer is about
   * three times cheaper than Buffer.subarray, and it runs once per record.
   */
  slice(at: number, length: number): Uint8Array {
    return new Uint8Array(this.memory, this.memoryOffset + at, length);
  }

  /**
   * Makes bytes [offset, offset + length) readable at buf[offset - start]. Returns false
   * (and reads nothing) when the file ends before offset + length.
   */
  ensure(offset: number, length: number): boolean {
    if (offset >= this.start && offset + length <= this.end) return true;
    return this.refill(offset, length);
  }

  private refill(offset: number, length: number): boolean {
    if (offset + length > this.size) return false;
    const reuse = this.recycle && this.buf.length >= Math.max(CHUNK_SIZE, length);
    const next = reuse ? this.buf : Buffer.allocUnsafe(Math.max(CHUNK_SIZE, length));
    let filled = 0;
    if (offset >= this.start && offset < this.end) {
      filled = this.buf.copy(next, 0, offset - this.start, this.end - this.start);
    }
    const want = Math.min(next.length, this.size - offset);
    while (filled < want) {
      const n = readSync(this.fd, next, filled, want - filled, offset + filled);
      // The file shrank under us: what is missing reads as a file cut short.
      if (n === 0) break;
      filled += n;
    }
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, filled);
    this.bytes = new Uint8Array(next.buffer, next.byteOffset, filled);
    this.memory = next.buffer;
    this.memoryOffset = next.byteOffset;
    this.start = offset;
    this.end = offset + filled;
    return offset + length <= this.end;
  }

  private closed = false;

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
