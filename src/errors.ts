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
