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
