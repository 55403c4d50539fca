import { afterEach, describe, expect, test } from 'vitest';
import { KEY, showTrace, type Screen } from './harness.js';
import { playTwoPings, twoPings } from './scenario.js';

let screen: Screen | undefined;
afterEach(() => screen?.close());

function rowOf(screen: Screen, responder: string): string {
  const row = screen.lines().find((line) => line.includes(`→ ${responder} `));
  if (!row) throw new Error(`no flow row for ${responder} in:\n${screen.frame()}`);
  return row;
}

describe('the flow list', () => {
  test('shows each flow newest first with its verdict in words', async () => {
    const session = twoPings();
    screen = await showTrace(session, { columns: 100 });
    playTwoPings(session);
    await screen.refresh();
    const lines = screen.lines();
    expect(lines[3]).toMatch(/^Flows 2 · newest first/);
    expect(lines[4]).toMatch(/^› 2 icmp +198\.18\.0\.2 → 203\.0\.113\.50 +✗ dropped between docker0 and eth0/);
    const older = lines.findIndex((line) => /^  1 icmp +198\.18\.0\.2 → 203\.0\.113\.9 +✓ ok/.test(line));
    expect(older).toBeGreaterThan(4);
  });

  test("draws the selected flow's detail right under its row, wherever it is in the list", async () => {
    const session = twoPings();
    screen = await showTrace(session, { columns: 100 });
    playTwoPings(session);
    await screen.refresh();
    const detailAfter = (rowStart: string): string[] => {
      const lines = screen!.lines();
      const at = lines.findIndex((line) => line.startsWith(rowStart));
      return lines.slice(at + 1, at + 3);
    };
    // Flow 2 (dropped, newest, selected) on top: its detail, then flow 1's row.
    expect(detailAfter('› 2 icmp')[0]).toBe('  NAT none seen on the way out');
    await screen.press(KEY.down);
    expect(screen.lines()[4]).toMatch(/^  2 icmp .*✗ dropped/);
    // Flow 1 selected: its detail under its own row, not under the list's last row by chance.
    expect(detailAfter('› 1 icmp')[0]).toMatch(/^  NAT SNAT 198\.18\.0\.2 -> 203\.0\.113\.1 @ docker0→eth0/);
    expect(screen.lines()[5]).toMatch(/^› 1 icmp/);
    expect(screen.frame()).not.toMatch(/✗ dropped[^\n]*\n  NAT/);
  });

  test('writes the NAT rewrite at the hop pair where it happened, in the row when there is room', async () => {
    const session = twoPings();
    screen = await showTrace(session, { columns: 160, rows: 48 });
    playTwoPings(session);
    await screen.refresh();
    expect(rowOf(screen, '203.0.113.9')).toMatch(/✓ ok +SNAT 198\.18\.0\.2 -> 203\.0\.113\.1 @ docker0→eth0, ICMP id 7168 -> 11520$/);
    expect(rowOf(screen, '203.0.113.50')).not.toContain('SNAT');
  });

  test('at 80 columns, spells out every rewrite of the selected flow below the list', async () => {
    const session = twoPings();
    screen = await showTrace(session, { columns: 80 });
    playTwoPings(session);
    await screen.refresh();
    await screen.press('j');
    const lines = screen.lines();
    const at = lines.findIndex((line) => line.startsWith('  NAT '));
    expect(lines.slice(at, at + 3)).toEqual([
      '  NAT SNAT 198.18.0.2 -> 203.0.113.1 @ docker0→eth0, ICMP id 7168 -> 11520',
      '  1 request / 1 reply packets · reached eth0 · TTL -1 docker0→eth0',
      '      un-SNAT 203.0.113.1 -> 198.18.0.2 @ eth0→docker0, ICMP id 11520 -> 7168',
    ]);
  });

  test('says "in progress" for a fresh request whose answer is not matched yet, and "no reply yet" later', async () => {
    const session = twoPings();
    let clock = 0;
    screen = await showTrace(session, { columns: 100, store: { now: () => clock } });
    session.feed(pingFramesWithoutReply());
    session.settle();
    screen.store.flush();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(rowOf(screen, '203.0.113.60')).toContain('◌ in progress');
    clock = 5000;
    screen.store.flush();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(rowOf(screen, '203.0.113.60')).toContain('… no reply yet');
  });
});

import { pingFrames } from './frames.js';
function pingFramesWithoutReply() {
  return pingFrames({ startUs: 0, dst: '203.0.113.60', seq: 1, ipId: 300 }).slice(0, 4);
}
