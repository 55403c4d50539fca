import { afterEach, describe, expect, test } from 'vitest';
import { nextFrames, showTrace, type Screen } from './harness.js';
import { pingFrames } from './frames.js';
import { playTwoPings, twoPings } from './scenario.js';

let screen: Screen | undefined;
afterEach(() => screen?.close());

describe('pausing the display', () => {
  test('p freezes the flows and says PAUSED while capture goes on; p again catches up', async () => {
    const session = twoPings();
    screen = await showTrace(session);
    playTwoPings(session);
    await screen.refresh();
    await screen.press('p');
    expect(screen.lines().at(-2)).toMatch(/^‖ PAUSED, capture goes on /);

    session.feed(pingFrames({ startUs: 9000, dst: '203.0.113.77', seq: 1, ipId: 700 }));
    session.settle();
    await nextFrames(150);
    expect(screen.frame()).not.toContain('203.0.113.77');
    expect(screen.lines()[2]).toMatch(/^3 pkts +3 pkts +3 pkts +2 pkts/);
    // The capture went on: the status says how much is waiting.
    expect(screen.lines().at(-2)).toMatch(/^‖ PAUSED, capture goes on \(\+2 packets\) /);

    await screen.press('p');
    expect(screen.frame()).not.toContain('PAUSED');
    expect(screen.lines()[4]).toMatch(/^› 3 icmp +198\.18\.0\.2 → 203\.0\.113\.77 +✓ ok/);
    expect(screen.lines()[2]).toMatch(/^5 pkts +5 pkts +5 pkts +4 pkts/);
  });
});
