/** Exit codes, documented in the README. */
export const ExitCode = {
  /** Every flow ok. */
  OK: 0,
  /** At least one flow is not ok (dropped, no reply, rejected...). */
  NOT_OK: 1,
  /** Bad input or usage: unreadable capture, bad path.json, unknown option. */
  BAD_INPUT: 2,
  /** Not root, or missing CAP_NET_RAW / CAP_NET_ADMIN. */
  NO_PRIVILEGE: 3,
  /** The environment is not as needed: Docker unreachable, no such container, interface gone. */
  ENVIRONMENT: 4,
} as const;

/**
 * The one error type that ends the program: caught once at the entry, printed as one
 * line on stderr (stack only with --debug), and turned into its exit code.
 */
export class FatalError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.BAD_INPUT,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'FatalError';
  }
}

/** Bad input or usage: an option value, a filter, a capture file (exit 2). */
export class InputError extends FatalError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.BAD_INPUT, hint);
    this.name = 'InputError';
  }
}

/** Not root, or a capability missing (exit 3); the hint says how to run it. */
export class PrivilegeError extends FatalError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.NO_PRIVILEGE, hint);
    this.name = 'PrivilegeError';
  }
}

/** The machine is not as needed: Docker unreachable, no such container, interface gone (exit 4). */
export class EnvironmentError extends FatalError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.ENVIRONMENT, hint);
    this.name = 'EnvironmentError';
  }
}

/** A capture file that cannot be read: names the file and the byte offset where it broke. */
export class CaptureFileError extends FatalError {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly problem: string,
  ) {
    super(`${file}: offset ${offset}: ${problem}`, ExitCode.BAD_INPUT);
    this.name = 'CaptureFileError';
  }
}

/**
 * An error as a plain value, to cross to another thread: a class and its fields survive
 * neither structured cloning nor JSON. errorFromValue gives back the same class (a capture
 * file's error, another FatalError, or a plain Error), message, exit code and hint.
 */
export interface ErrorValue {
  message: string;
  /** Where it was thrown, for --debug. */
  stack?: string;
  capture?: { file: string; offset: number; problem: string };
  fatal?: { exitCode: number; hint?: string };
}

export function errorValue(error: unknown): ErrorValue {
  if (error instanceof CaptureFileError) return { message: error.message, stack: error.stack, capture: { file: error.file, offset: error.offset, problem: error.problem } };
  if (error instanceof FatalError) return { message: error.message, stack: error.stack, fatal: { exitCode: error.exitCode, hint: error.hint } };
  if (error instanceof Error) return { message: error.message, stack: error.stack };
  return { message: String(error) };
}

export function errorFromValue(value: ErrorValue): Error {
  const error = value.capture
    ? new CaptureFileError(value.capture.file, value.capture.offset, value.capture.problem)
    : value.fatal
      ? new FatalError(value.message, value.fatal.exitCode, value.fatal.hint)
      : new Error(value.message);
  if (value.stack !== undefined) error.stack = value.stack;
  return error;
}
