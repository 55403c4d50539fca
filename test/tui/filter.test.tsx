import { afterEach, describe, expect, test } from 'vitest';
import { KEY, showTrace, type Screen } from './harness.js';
import { playTwoPings, twoPings } from './scenario.js';

let screen: Screen | undefined;
afterEach(() => screen?.close());

function flowRows(screen: Screen): string[] {
  return screen.lines().filter((line) => /^[› ] +\d+ icmp /.test(line));
}

describe('filtering flows', () => {
  test('/ then an address and enter keeps the matching flows; esc brings them all back', async () => {
    const session = twoPings();
    screen = await showTrace(session);
    playTwoPings(session);
    await screen.refresh();
    expect(flowRows(screen)).toHaveLength(2);

    await screen.press('/', '113.5', '0');
    expect(screen.lines().at(-1)).toMatch(/^\/ filter: 113\.50_ +enter apply +esc clear/);
    // Nothing applies until enter.
    expect(flowRows(screen)).toHaveLength(2);
    await screen.press(KEY.enter);
    expect(flowRows(screen)).toEqual([expect.stringMatching(/^› 2 icmp +198\.18\.0\.2 → 203\.0\.113\.50 +✗ dropped/)]);
    expect(screen.lines()[3]).toMatch(/^Flows 1 of 2 match "113\.50"/);
    expect(screen.lines().at(-2)).toContain('filter "113.50"');

    await screen.press(KEY.escape);
    expect(flowRows(screen)).toHaveLength(2);
    expect(screen.frame()).not.toContain('filter "');
  });

  test('filters by protocol, and says so when nothing matches', async () => {
    const session = twoPings();
    screen = await showTrace(session);
    playTwoPings(session);
    await screen.refresh();
    await screen.press('/', 'tcp', KEY.enter);
    expect(flowRows(screen)).toHaveLength(0);
    expect(screen.frame()).toContain('no flow matches "tcp" (esc clears the filter)');
    await screen.press('/', KEY.backspace, KEY.backspace, KEY.backspace, 'icmp', KEY.enter);
    expect(flowRows(screen)).toHaveLength(2);
  });
});

describe('keys typed while the process was busy', () => {
  test('arrive as one chunk and still count one by one: "jj" then enter, "/113.50" enter', async () => {
    const session = twoPings();
    screen = await showTrace(session);
    playTwoPings(session);
    await screen.refresh();
    await screen.press('/113.50\r');
    expect(flowRows(screen)).toEqual([expect.stringMatching(/^› 2 icmp +198\.18\.0\.2 → 203\.0\.113\.50 /)]);
    await screen.press(KEY.escape);
    await screen.press('jk j\r');
    expect(screen.frame()).toContain('Timeline of flow 1 (icmp 198.18.0.2 → 203.0.113.9)');
  });
});
