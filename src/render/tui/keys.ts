import type { Key } from 'ink';

/** Every key binding of the UI, in one place: the status line and the handler both read this. */
export type KeyAction =
  | { type: 'select-up' }
  | { type: 'select-down' }
  | { type: 'select-page-up' }
  | { type: 'select-page-down' }
  | { type: 'toggle-timeline' }
  | { type: 'timeline-older' }
  | { type: 'timeline-newer' }
  | { type: 'toggle-help' }
  | { type: 'toggle-pause' }
  | { type: 'filter-start' }
  | { type: 'filter-type'; text: string }
  | { type: 'filter-erase' }
  | { type: 'filter-apply' }
  | { type: 'filter-clear' }
  | { type: 'quit' };

export type InputMode = 'browse' | 'filter';

/** The help shown in the status line, in the order a user needs it. */
export const KEY_HELP: ReadonlyArray<readonly [keys: string, what: string]> = [
  ['↑↓', 'select'],
  ['enter', 'timeline'],
  ['p', 'pause'],
  ['/', 'filter'],
  ['?', 'legend'],
  ['q', 'quit'],
];

/** Shown while the timeline is open, after the first two. */
export const TIMELINE_KEY_HELP: readonly [keys: string, what: string] = ['[ ]', 'scroll'];

export const FILTER_HELP: ReadonlyArray<readonly [keys: string, what: string]> = [
  ['enter', 'apply'],
  ['esc', 'clear'],
];

/**
 * The keystrokes in one input event. Ink hands a chunk of plain characters over whole (as it
 * would a paste), and a terminal delivers keys typed while the process was busy, a replay
 * say, as one chunk: "jj\r" is three keys, not one unknown one.
 */
export function splitKeystrokes(input: string, key: Key): Array<[string, Key]> {
  if (input.length <= 1 || input.includes('\u001B')) return [[input, key]];
  return [...input].map((char): [string, Key] => {
    const code = char.charCodeAt(0);
    const plain: Key = { ...key, return: false, backspace: false, ctrl: false, escape: false, meta: false, tab: false };
    if (char === '\r' || char === '\n') return ['', { ...plain, return: true }];
    if (char === '\u007F' || char === '\b') return ['', { ...plain, backspace: true }];
    if (char === '\t') return ['', { ...plain, tab: true }];
    // Ctrl-A .. Ctrl-Z arrive as bytes 1..26: Ink names them by their letter.
    if (code >= 1 && code <= 26) return [String.fromCharCode(code + 96), { ...plain, ctrl: true }];
    return [char, plain];
  });
}

export function keyAction(input: string, key: Key, mode: InputMode): KeyAction | undefined {
  // Ctrl-C always stops, even while typing a filter: raw mode turns it into a key.
  if (key.ctrl && input === 'c') return { type: 'quit' };
  return mode === 'filter' ? filterKey(input, key) : browseKey(input, key);
}

function browseKey(input: string, key: Key): KeyAction | undefined {
  if (key.upArrow || input === 'k') return { type: 'select-up' };
  if (key.downArrow || input === 'j') return { type: 'select-down' };
  if (key.pageUp) return { type: 'select-page-up' };
  if (key.pageDown) return { type: 'select-page-down' };
  if (key.return) return { type: 'toggle-timeline' };
  if (key.escape) return { type: 'filter-clear' };
  if (key.ctrl || key.meta) return undefined;
  if (input === 'p') return { type: 'toggle-pause' };
  if (input === '[') return { type: 'timeline-older' };
  if (input === ']') return { type: 'timeline-newer' };
  if (input === '?') return { type: 'toggle-help' };
  if (input === '/') return { type: 'filter-start' };
  if (input === 'q') return { type: 'quit' };
  return undefined;
}

function filterKey(input: string, key: Key): KeyAction | undefined {
  if (key.return) return { type: 'filter-apply' };
  if (key.escape) return { type: 'filter-clear' };
  if (key.backspace || key.delete) return { type: 'filter-erase' };
  if (key.ctrl || key.meta || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.tab) return undefined;
  // Printable text only: a paste arrives as one input string.
  const text = input.replace(/[\u0000-\u001f\u007f]/g, '');
  return text ? { type: 'filter-type', text } : undefined;
}
