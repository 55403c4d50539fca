/**
 * Ctrl-C and SIGTERM end a live trace with its report and the report's exit code.
 *
 * Run through `npx`, a Ctrl-C typed at the terminal is a SIGINT to the whole foreground
 * process group: npm and the `sh -c` it runs hoptrace under die of it (exit 130) while hoptrace
 * is still printing its report. So when stdin is a terminal (and the Ink UI, which reads keys
 * itself, is not running) hoptrace turns the terminal's signal keys off and reads Ctrl-C as a
 * key: only hoptrace hears it, and npx exits with hoptrace's code. Node restores the terminal
 * mode at exit; after a SIGKILL, `stty sane` (or `reset`) does.
 */
import { ExitCode, FatalError } from '../errors.js';

export interface Interrupt {
  /** Whether Ctrl-C or a signal came before `onStop` was set. */
  readonly requested: boolean;
  /** The work before there is a trace to stop (discovery): a Ctrl-C ends it with exit 1 and one line. */
  before<T>(work: Promise<T>): Promise<T>;
  /** What a Ctrl-C or a signal does from now on (called at once if one already came). */
  onStop(stop: () => void): void;
  dispose(): void;
}

const CTRL_C = 0x03;
const CTRL_BACKSLASH = 0x1c;

export function listenForInterrupt(options: { readKeys: boolean; stdin?: NodeJS.ReadStream }): Interrupt {
  const stdin = options.stdin ?? process.stdin;
  let stop: (() => void) | undefined;
  let requested = false;
  let abandon: (() => void) | undefined;
  const fire = (): void => {
    requested = true;
    abandon?.();
    stop?.();
  };
  const onKey = (chunk: Buffer): void => {
    if (chunk.includes(CTRL_C) || chunk.includes(CTRL_BACKSLASH)) fire();
  };
  process.on('SIGINT', fire);
  process.on('SIGTERM', fire);
  const keys = options.readKeys && stdin.isTTY === true && typeof stdin.setRawMode === 'function';
  if (keys) {
    stdin.setRawMode(true);
    stdin.on('data', onKey);
    stdin.resume();
  }
  return {
    get requested() {
      return requested;
    },
    before(work) {
      const interrupted = new Promise<never>((_, reject) => {
        abandon = () => reject(new FatalError('interrupted before the capture started: nothing was captured', ExitCode.NOT_OK));
        if (requested) abandon();
      });
      return Promise.race([work, interrupted]).finally(() => (abandon = undefined));
    },
    onStop(next) {
      stop = next;
      if (requested) next();
    },
    dispose() {
      process.off('SIGINT', fire);
      process.off('SIGTERM', fire);
      if (!keys) return;
      stdin.off('data', onKey);
      stdin.setRawMode(false);
      stdin.pause();
    },
  };
}
