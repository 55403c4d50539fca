// Opening what a user names, without letting a special file stall or flood hoptrace. A FIFO
// blocks open(2) until a writer comes; /dev/zero never ends; opening some devices has side
// effects (a tape rewinds, a watchdog arms). So the kind of file is checked with stat(2)
// before open, and again on the descriptor after it, which is opened O_NONBLOCK so that a
// FIFO swapped in between cannot block it either.
import { type Stats, closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';

export interface OpenedFile {
  fd: number;
  size: number;
}

/** Why a file was not opened: a short phrase for an error line, and the errno when there was one. */
export class RefusedFile extends Error {
  constructor(
    readonly why: string,
    readonly code?: string,
  ) {
    super(why);
    this.name = 'RefusedFile';
  }
}

/** What a stat says a file is, in words, when it is not a regular file; null when it is one. */
export function specialKind(stat: Stats): string | null {
  if (stat.isFile()) return null;
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a named pipe (FIFO)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Opens a regular file for reading, or throws RefusedFile saying why not. Links are
 * followed: what counts is the file they lead to.
 */
export function openRegularFile(path: string): OpenedFile {
  const before = statOrRefuse(path);
  refuseSpecial(before);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    throw fromErrno(err);
  }
  try {
    const after = fstatSync(fd);
    refuseSpecial(after);
    if (after.ino !== before.ino || after.dev !== before.dev) throw new RefusedFile('the file changed while it was being opened');
    return { fd, size: after.size };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/**
 * Reads a whole small regular file, refusing one larger than `limit` bytes before reading
 * it. Files that report no size (/proc) are read up to the limit and refused past it.
 */
export function readSmallFile(path: string, limit: number): Buffer {
  const { fd, size } = openRegularFile(path);
  try {
    if (size > limit) throw new RefusedFile(`${size} bytes, more than the limit of ${limit}`);
    // A /proc file says 0 bytes and a file may grow while read: the limit holds either way.
    const buf = Buffer.alloc(limit + 1);
    let got = 0;
    for (let n = -1; n !== 0 && got < buf.length; got += n) n = readSync(fd, buf, got, buf.length - got, got);
    if (got > limit) throw new RefusedFile(`more than the limit of ${limit} bytes`);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

function statOrRefuse(path: string): Stats {
  try {
    return statSync(path);
  } catch (err) {
    throw fromErrno(err);
  }
}

function refuseSpecial(stat: Stats): void {
  const kind = specialKind(stat);
  if (kind !== null) throw new RefusedFile(`${kind}, not a regular file`, stat.isDirectory() ? 'EISDIR' : undefined);
}

function fromErrno(err: unknown): RefusedFile {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'ELOOP'
          ? 'too many levels of symbolic links'
          : code === 'ENOTDIR'
            ? 'a part of the path is not a directory'
            : code === 'ENAMETOOLONG'
              ? 'file name too long'
              : `cannot open (${code ?? 'unknown error'})`;
  return new RefusedFile(why, code);
}
