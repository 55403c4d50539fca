import { writeSync } from 'node:fs';
import { ExitCode } from '../errors.js';

export interface StdoutWatch {
  /** The exit code once every write has had its chance to fail. */
  settle(code: number): Promise<number>;
}

/**
 * A reader that went away (`| head -1`, EPIPE) ends the program quietly with the report's exit
 * code; a write that fails otherwise (ENOSPC on `> /dev/full`) is one error line and exit 2.
 */
export function watchStdout(stream: NodeJS.WriteStream): StdoutWatch {
  let failure: NodeJS.ErrnoException | undefined;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    failure ??= error;
  });
  return {
    async settle(code) {
      // A write error is reported on a later tick than the write.
      await new Promise((resolve) => setImmediate(resolve));
      if (!failure || failure.code === 'EPIPE') return code;
      process.stderr.write(`hoptrace: cannot write to stdout: ${failure.code ?? failure.message}\n`);
      return ExitCode.BAD_INPUT;
    },
  };
}

/**
 * Writes straight to a file descriptor and waits while a pipe is full: a replay runs without
 * yielding to the event loop, so stream writes would pile up in memory instead. A write that
 * fails stops the writing; `failure` says why (EPIPE: the reader went away).
 */
export function blockingWriter(fd: number): { write(text: string): void; readonly failure: string | undefined } {
  let failure: string | undefined;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  return {
    write(text) {
      if (failure !== undefined) return;
      const bytes = Buffer.from(text);
      for (let done = 0; done < bytes.length; ) {
        try {
          done += writeSync(fd, bytes, done);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'EAGAIN') {
            Atomics.wait(pause, 0, 0, 1);
            continue;
          }
          failure = code ?? String(error);
          return;
        }
      }
    },
    get failure() {
      return failure;
    },
  };
}

/** The exit code after a blockingWriter ran: as watchStdout settles it. */
export function writerOutcome(failure: string | undefined, code: number): number {
  if (failure === undefined || failure === 'EPIPE') return code;
  process.stderr.write(`hoptrace: cannot write to stdout: ${failure}\n`);
  return ExitCode.BAD_INPUT;
}
