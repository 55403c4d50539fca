/** How a command shows its result: the Ink UI, text lines, or one JSON document. */
export type OutputMode = 'tui' | 'text' | 'json';

export interface OutputFlags {
  json?: boolean;
  text?: boolean;
  tui?: boolean;
}

/**
 * --json and --text always win; the UI needs a terminal on stdout (a pipe or a file gets
 * text). `liveDefault` is the live commands' choice: the UI when nothing else was asked for.
 */
export function chooseOutput(flags: OutputFlags, stdoutIsTty: boolean, liveDefault: boolean): OutputMode {
  if (flags.json) return 'json';
  if (flags.text) return 'text';
  if ((flags.tui || liveDefault) && stdoutIsTty) return 'tui';
  return 'text';
}

/** Colour only on a terminal, never with NO_COLOR (https://no-color.org) or TERM=dumb. */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}
