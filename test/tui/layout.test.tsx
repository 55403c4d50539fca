import { afterEach, describe, expect, test } from 'vitest';
import { KEY, showTrace, type Screen } from './harness.js';
import { playManyPings, playTwoPings, twoPings } from './scenario.js';

let screen: Screen | undefined;
afterEach(() => screen?.close());

function expectFits(screen: Screen, columns: number, rows: number): void {
  const lines = screen.lines();
  // One row stays free: a frame as tall as the terminal makes Ink clear the scrollback.
  expect(lines.length).toBeLessThanOrEqual(rows - 1);
  for (const line of lines) expect(line.length, `line too long: "${line}"`).toBeLessThanOrEqual(columns);
}

async function busyTrace(opts: { columns: number; rows: number }): Promise<Screen> {
  const session = twoPings();
  session.problems[1] = 'pcap dropped 12 packets (kernel buffer full)';
  const shown = await showTrace(session, opts);
  playTwoPings(session);
  playManyPings(session, 60);
  await shown.refresh();
  return shown;
}

describe('the screen fits the terminal', () => {
  test('80x24 with sixty flows: never wider than 80 nor taller than 23 lines, list, detail or timeline', async () => {
    screen = await busyTrace({ columns: 80, rows: 24 });
    expectFits(screen, 80, 24);
    expect(screen.lines()[0]).toMatch(/^1 c1 eth0 .*→ 4 eth0/);
    expect(screen.lines().at(-1)).toBe('↑↓ select  enter timeline  p pause  / filter  ? legend  q quit');
    await screen.press(KEY.enter);
    expect(screen.frame()).toContain('Timeline of flow 62');
    expectFits(screen, 80, 24);
    await screen.press(KEY.down, KEY.down, KEY.down);
    expect(screen.frame()).toContain('Timeline of flow 59');
    expectFits(screen, 80, 24);
  });

  test('uses the room of 160x48: more flows and the rewrite in each row', async () => {
    screen = await busyTrace({ columns: 160, rows: 48 });
    expectFits(screen, 160, 48);
    const rows = screen.lines().filter((line) => /^[› ] +\d+ icmp /.test(line));
    expect(rows.length).toBeGreaterThan(30);
    expect(rows[0]).toMatch(/✓ ok +SNAT 198\.18\.0\.2 -> 203\.0\.113\.1 @ docker0→eth0/);
    await screen.press(KEY.enter);
    expectFits(screen, 160, 48);
  });

  test('follows a resize from 160x48 down to 80x24 and back', async () => {
    screen = await busyTrace({ columns: 160, rows: 48 });
    await screen.press(KEY.enter);
    await screen.resize(80, 24);
    expectFits(screen, 80, 24);
    expect(screen.frame()).toContain('Timeline of flow 62');
    await screen.resize(120, 40);
    expectFits(screen, 120, 40);
    expect(screen.lines()[0]).toMatch(/^1 c1 eth0 {15,}→ 2 veth3f2a/);
  });

  test('keeps the selected flow on screen when it moves past the visible rows', async () => {
    screen = await busyTrace({ columns: 80, rows: 24 });
    for (let i = 0; i < 40; i++) await screen.press('j');
    const selected = screen.lines().filter((line) => line.startsWith('› '));
    expect(selected).toHaveLength(1);
    expect(selected[0]).toContain('198.18.0.2 → 203.0.113.119');
    expectFits(screen, 80, 24);
  });
});
