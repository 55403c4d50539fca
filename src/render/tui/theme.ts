import type { Tone } from './text.js';

/** Colours by meaning; with colour off every tone maps to nothing, so no ANSI colour is written. */
export interface Theme {
  color: boolean;
  tone(tone: Tone | undefined): string | undefined;
}

const TONES: Record<Tone, string> = {
  ok: 'green',
  bad: 'red',
  warn: 'yellow',
  rewrite: 'magenta',
  muted: 'gray',
  accent: 'cyan',
  selected: 'cyan',
};

export function createTheme(color: boolean): Theme {
  return {
    color,
    tone: (tone) => (color && tone ? TONES[tone] : undefined),
  };
}
