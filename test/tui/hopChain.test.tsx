import { afterEach, describe, expect, test } from 'vitest';
import { showTrace, type Screen } from './harness.js';
import { playTwoPings, twoPings } from './scenario.js';

let screen: Screen | undefined;
afterEach(() => screen?.close());

describe('the hop chain', () => {
  test('lists the hops in path order with interface, address and packet count', async () => {
    const session = twoPings();
    screen = await showTrace(session, { columns: 100 });
    playTwoPings(session);
    await screen.refresh();
    const [names, places, counts] = screen.lines();
    expect(names).toMatch(/^1 c1 eth0 +→ 2 veth3f2a +→ 3 docker0 +→ 4 eth0/);
    expect(places).toMatch(/^eth0 198\.18\.0\.2 +veth3f2a +docker0 198\.18\.0\.1\/24 +eth0 203\.0\.113\.1/);
    // Both pings cross the first three hops (request, and the answer back); only one reaches eth0.
    expect(counts).toMatch(/^3 pkts +3 pkts +3 pkts +2 pkts/);
  });

  test('marks a hop whose capture failed, in words', async () => {
    const session = twoPings();
    session.problems[3] = 'capture failed: no such device';
    screen = await showTrace(session, { columns: 120 });
    playTwoPings(session);
    await screen.refresh();
    expect(screen.lines()[2]).toMatch(/2 pkts ! capture failed/);
    expect(screen.frame()).toContain('! eth0: capture failed: no such device');
  });

  test('counts the packets live as frames arrive', async () => {
    const session = twoPings();
    screen = await showTrace(session, { columns: 100 });
    expect(screen.lines()[2]).toMatch(/^0 pkts +0 pkts +0 pkts +0 pkts/);
    expect(screen.frame()).toContain('no flows yet: waiting for packets');
    playTwoPings(session);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(screen.lines()[2]).toMatch(/^3 pkts +3 pkts +3 pkts +2 pkts/);
  });
});
