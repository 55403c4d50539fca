import chalk from 'chalk';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { KEY, showTrace, type Screen } from './harness.js';
import { playTwoPings, twoPings } from './scenario.js';

const ANSI = /\u001B\[[0-9;]*m/;
let screen: Screen | undefined;
let level: typeof chalk.level;
// vitest's output is not a terminal, so chalk would print no colour whatever the UI asks for:
// make it able to, so that the absence of colour below is the UI's doing.
beforeAll(() => {
  level = chalk.level;
  chalk.level = 1;
});
afterAll(() => {
  chalk.level = level;
});
afterEach(() => screen?.close());

async function screenWith(color: boolean): Promise<Screen> {
  const session = twoPings();
  const shown = await showTrace(session, { columns: 120, color });
  playTwoPings(session);
  await shown.refresh();
  await shown.press(KEY.down, KEY.enter);
  return shown;
}

/** Without the escapes; Ink trims trailing blanks of plain lines only, so compare without them. */
const strip = (text: string): string =>
  text
    .replace(/\u001B\[[0-9;]*m/g, '')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');

describe('colour', () => {
  test('carries the verdicts and the rewrites when on', async () => {
    screen = await screenWith(true);
    const frame = screen.frame();
    expect(frame).toMatch(/\u001B\[32m✓ ok/);
    expect(frame).toMatch(/\u001B\[31m✗ dropped between docker0 and eth0/);
    expect(frame).toMatch(/\u001B\[35mSNAT 198\.18\.0\.2 -> 203\.0\.113\.1 @ docker0→eth0/);
    // The fields a hop changed stand out in the timeline, the expected TTL step less so.
    expect(frame).toMatch(/● \+48µs\u001B\[1m\u001B\[35m src\* id\*\u001B\[22m\u001B\[90m ttl\*/);
  });

  test('is absent when off (NO_COLOR), and every meaning is still in the text', async () => {
    screen = await screenWith(false);
    const plain = screen.frame();
    expect(plain).not.toMatch(ANSI);
    screen.close();
    screen = await screenWith(true);
    expect(strip(screen.frame())).toBe(strip(plain));
  });
});
