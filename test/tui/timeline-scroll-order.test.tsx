import { afterEach, describe, expect, test } from 'vitest';
import { KEY, showTrace, type Screen } from './harness.js';
import { frameAt, ipv4Echo, pingFrames } from './frames.js';
import { playTwoPings, twoPings } from './scenario.js';

let screen: Screen | undefined;
afterEach(() => screen?.close());

/** The cells of the timeline row whose label contains `rowText`, split at the header's columns. */
function rowCells(screen: Screen, rowText: string): string[] {
  const lines = screen.lines();
  const head = lines.find((line) => line.startsWith('packet'))!;
  const row = lines.find((line) => line.includes(rowText));
  if (!row) throw new Error(`no row "${rowText}" in:\n${screen.frame()}`);
  const starts = [...head.matchAll(/\d [^ ]+( [^ ]+)?/g)].map((m) => m.index!);
  return starts.map((at, i) => row.slice(at, starts[i + 1] ?? row.length).trim());
}

describe('the timeline follows the path, not the clocks', () => {
  test("a reply stamped earlier in the container's namespace is still drawn uplink first, un-SNAT marked at docker0", async () => {
    const session = twoPings();
    screen = await showTrace(session, { columns: 120, rows: 30 });
    const request = pingFrames({ startUs: 0, dst: '203.0.113.9', seq: 1, ipId: 100 }).slice(0, 4);
    const back = (hop: number, us: number, ttl: number, to: string, icmpId: number) =>
      frameAt(hop, us, ipv4Echo({ src: '203.0.113.9', dst: to, ttl, ipId: 1100, icmpId, seq: 1, reply: true }));
    // The container's clock runs 100 µs behind the host's: its sighting comes first in time.
    session.feed([
      ...request,
      back(0, 850, 56, '198.18.0.2', 0x1c00),
      back(3, 900, 57, '203.0.113.1', 0x2d00),
      back(2, 930, 56, '198.18.0.2', 0x1c00),
      back(1, 941, 56, '198.18.0.2', 0x1c00),
    ]);
    session.settle();
    await screen.refresh();
    await screen.press(KEY.enter);
    const reply = rowCells(screen, '← ');
    expect(reply[3]).toBe('● +0');
    expect(reply[2]).toBe('● +30µs dst* id* ttl*');
    expect(reply[1]).toBe('● +41µs');
    // Negative: the clocks disagree, and the timeline shows it rather than reordering the path.
    expect(reply[0]).toBe('● -50µs');
    expect(screen.frame()).not.toMatch(/← [^\n]*● -50µs dst\*/);
  });
});

describe('the timeline scrolls', () => {
  test('[ and ] reach every kept packet, oldest to newest', async () => {
    const session = twoPings();
    screen = await showTrace(session, { columns: 80, rows: 24 });
    for (let seq = 1; seq <= 20; seq++) session.feed(pingFrames({ startUs: seq * 10_000, dst: '203.0.113.9', seq, ipId: 100 + seq }));
    session.settle();
    await screen.refresh();
    await screen.press(KEY.enter);
    const title = () => screen!.lines().find((line) => line.startsWith('Timeline of flow 1'))!;
    const labels = () => screen!.lines().filter((line) => /^[→←] /.test(line)).map((line) => line.slice(0, 22).trim());
    expect(title()).toMatch(/: packets 28-40 of 40 kept$/);
    expect(labels().at(-1)).toMatch(/^← 0\.191s reply #20$/);
    expect(screen.lines().at(-1)).toBe('↑↓ select  enter timeline  [ ] scroll  p pause  / filter  ? legend  q quit');
    await screen.press('[');
    expect(title()).toContain('packets 15-27 of 40 kept');
    await screen.press('[', '[', '[');
    expect(title()).toContain('packets 1-13 of 40 kept');
    expect(labels()[0]).toMatch(/^→ 0\.000s echo #1$/);
    await screen.press(']');
    expect(title()).toContain('packets 14-26 of 40 kept');
    await screen.press(']', ']');
    expect(title()).toContain('packets 28-40 of 40 kept');
  });
});

describe('after the trace ended', () => {
  test('p does not say PAUSED: there is nothing left to pause', async () => {
    const session = twoPings();
    screen = await showTrace(session);
    playTwoPings(session);
    session.end();
    screen.store.finalize(await session.report);
    await screen.refresh();
    await screen.press('p');
    expect(screen.frame()).not.toContain('PAUSED');
    expect(screen.lines().at(-2)).toMatch(/^■ ended /);
    expect(screen.lines().at(-1)).toBe('↑↓ select  enter timeline  / filter  ? legend  q quit, print report');
  });
});

describe('at 80x24 nothing that carries meaning is cut', () => {
  test('the bridge keeps its whole address; the legend and the notes are behind ?', async () => {
    const session = twoPings();
    screen = await showTrace(session, { columns: 80, rows: 24 });
    playTwoPings(session);
    await screen.refresh();
    expect(screen.lines()[1]).toContain('198.18.0.1/24');
    expect(screen.lines()[1]).not.toContain('…');
    expect(screen.lines().at(-2)).toMatch(/ · \? a note$/);
    await screen.press('?');
    const frame = screen.frame();
    expect(frame).toContain('src* dst* sport* dport* id*  rewritten here: the first hop where it differs');
    expect(frame).toContain('note: replay of two pings built in the test');
    for (const line of screen.lines()) expect(line.length).toBeLessThanOrEqual(80);
    expect(screen.lines().length).toBeLessThanOrEqual(23);
    await screen.press('?');
    expect(screen.frame()).toContain('Flows 2 · newest first');
  });
});
