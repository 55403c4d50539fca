import { afterEach, describe, expect, test } from 'vitest';
import { KEY, showTrace, type Screen } from './harness.js';
import { playTwoPings, twoPings } from './scenario.js';

let screen: Screen | undefined;
afterEach(() => screen?.close());

/** The text under the column whose header starts with `header`, on the line that contains `rowText`. */
function cellUnder(screen: Screen, header: string, rowText: string, width = 14): string {
  const lines = screen.lines();
  const head = lines.find((line) => line.startsWith('packet'));
  const row = lines.find((line) => line.includes(rowText));
  if (!head || !row) throw new Error(`no timeline column "${header}" / row "${rowText}" in:\n${screen.frame()}`);
  const at = head.indexOf(header);
  return row.slice(at, at + width).trimEnd();
}

describe('the packet timeline', () => {
  test('opens on enter for the selected flow and closes on enter again', async () => {
    const session = twoPings();
    screen = await showTrace(session, { columns: 100 });
    playTwoPings(session);
    await screen.refresh();
    expect(screen.frame()).not.toContain('Timeline of flow');
    await screen.press(KEY.down, KEY.enter);
    expect(screen.frame()).toContain('Timeline of flow 1 (icmp 198.18.0.2 → 203.0.113.9): packets 1-2 of 2 kept');
    await screen.press(KEY.enter);
    expect(screen.frame()).not.toContain('Timeline of flow');
  });

  test('puts a mark and a time offset under each hop, and the changed fields at the hop that changed them', async () => {
    const session = twoPings();
    screen = await showTrace(session, { columns: 120, rows: 30 });
    playTwoPings(session);
    await screen.refresh();
    await screen.press(KEY.down, KEY.enter);
    const request = '→ 0.000s echo #1';
    expect(cellUnder(screen, '1 c1 eth0', request)).toBe('● +0');
    expect(cellUnder(screen, '2 veth3f2a', request)).toBe('● +12µs');
    expect(cellUnder(screen, '3 docker0', request)).toBe('● +20µs');
    expect(cellUnder(screen, '4 eth0', request, 22)).toBe('● +48µs src* id* ttl*');
    const reply = '← 0.001s reply #1';
    expect(cellUnder(screen, '4 eth0', reply)).toBe('● +0');
    expect(cellUnder(screen, '3 docker0', reply, 22)).toBe('● +30µs dst* id* ttl*');
    expect(cellUnder(screen, '1 c1 eth0', reply)).toBe('● +50µs');
  });

  test('spells the new values out when the columns are wide enough', async () => {
    const session = twoPings();
    screen = await showTrace(session, { columns: 240, rows: 40 });
    playTwoPings(session);
    await screen.refresh();
    await screen.press(KEY.down, KEY.enter);
    expect(cellUnder(screen, '4 eth0', '→ 0.000s echo #1', 50)).toBe('● +48µs src 203.0.113.1 icmp-id 11520 ttl 63');
  });

  test('shows where a packet vanished', async () => {
    const session = twoPings();
    screen = await showTrace(session, { columns: 100 });
    playTwoPings(session);
    await screen.refresh();
    await screen.press(KEY.enter);
    expect(screen.frame()).toContain('Timeline of flow 2 (icmp 198.18.0.2 → 203.0.113.50)');
    const request = '→ 0.002s echo #1';
    expect(cellUnder(screen, '3 docker0', request)).toBe('● +20µs');
    expect(cellUnder(screen, '4 eth0', request)).toBe('✗ vanished');
  });
});
