// An error crossing a thread (the replay worker's, the pipe's and the read threads' errors) goes
// as a plain value (errorValue) and comes back (errorFromValue) as the same class, with the same
// message, exit code, hint and fields: the one line and the exit code do not depend on where
// the error was thrown.
import { describe, expect, it } from 'vitest';
import { CaptureFileError, errorFromValue, errorValue, ExitCode, FatalError, InputError } from '../src/errors.js';

/** Through a clone and through JSON, as the two ways a value crosses. */
const across = (error: unknown) => [errorFromValue(structuredClone(errorValue(error))), errorFromValue(JSON.parse(JSON.stringify(errorValue(error))))];

describe('an error as a value and back', () => {
  it('a capture file\'s error stays one, with its file, offset, problem, message, exit code and stack', () => {
    const thrown = new CaptureFileError('/t/a.pcap', 24, 'record length 4294967280 exceeds the limit');
    for (const back of across(thrown)) {
      expect(back).toBeInstanceOf(CaptureFileError);
      const e = back as CaptureFileError;
      expect([e.file, e.offset, e.problem, e.message, e.exitCode, e.stack]).toEqual(['/t/a.pcap', 24, 'record length 4294967280 exceeds the limit', '/t/a.pcap: offset 24: record length 4294967280 exceeds the limit', ExitCode.BAD_INPUT, thrown.stack]);
    }
  });

  it('another FatalError keeps its message, exit code and hint', () => {
    for (const thrown of [new FatalError('docker is not running', ExitCode.ENVIRONMENT, 'start it'), new InputError('bad --window', 'a number of ms')]) {
      for (const back of across(thrown)) {
        expect(back).toBeInstanceOf(FatalError);
        expect(back).not.toBeInstanceOf(CaptureFileError);
        const e = back as FatalError;
        expect([e.message, e.exitCode, e.hint]).toEqual([thrown.message, thrown.exitCode, thrown.hint]);
      }
    }
  });

  it('any other error is a plain Error with its message and stack; a thrown non-error, its text', () => {
    const thrown = new RangeError('offset out of range');
    for (const back of across(thrown)) {
      expect(back).not.toBeInstanceOf(FatalError);
      expect([back.message, back.stack]).toEqual(['offset out of range', thrown.stack]);
    }
    for (const back of across('gone')) {
      expect(back).not.toBeInstanceOf(FatalError);
      expect(back.message).toBe('gone');
    }
  });
});
