// The ladder's brackets: on a multi-host trace (recorded across h1 and h2) the hops are grouped
// by host first, each host named, with its namespaces bracketed inside; a single-host trace keeps
// its namespace brackets alone, where they were.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, hoptrace, scratchDir } from '../export/support.js';

const work = scratchDir('html-hosts');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function page(traceDir: string): string {
  const html = path.join(work, `${path.basename(traceDir)}.html`);
  const run = hoptrace(['replay', traceDir, '--html', html, '--json']);
  expect(run.stderr).toBe('');
  return fs.readFileSync(html, 'utf8');
}

interface Bracket {
  kind: 'host' | 'netns';
  name: string;
  from: number;
  to: number;
}

/** The brackets drawn over the hops of the page's ladders, in order, with the x range each spans. */
function brackets(html: string): Bracket[] {
  const found = html.matchAll(/<path class="group( host-group)?"[^>]* d="M(\d+) 26 V18 H(\d+) V26"\/>\n<text class="group-name(?: host-group-name)?"[^>]*>([^<]*)<\/text>/g);
  return [...found].map((m) => ({ kind: m[1] ? 'host' : 'netns', name: m[4]!, from: Number(m[2]), to: Number(m[3]) }));
}

/** Hop i's vertical line is at x = 190 + 210 i; a bracket reaches 60 beyond its outer hops. */
const span = (first: number, last: number) => ({ from: 190 + 210 * first - 60, to: 190 + 210 * last + 60 });

describe('the HTML ladder of a multi-host trace', () => {
  const html = page(path.join(ROOT, 'test', 'overlay', 'captures', 'overlay-ping'));

  it('names each host over its hops, then the namespaces within that host', () => {
    expect(brackets(html)).toEqual([
      { kind: 'host', name: 'host h1', ...span(0, 4) },
      { kind: 'host', name: 'host h2', ...span(5, 9) },
      { kind: 'netns', name: 'container:c1', ...span(0, 0) },
      { kind: 'netns', name: 'overlay:ht-overlay', ...span(1, 3) },
      { kind: 'netns', name: 'h1', ...span(4, 4) },
      { kind: 'netns', name: 'h2', ...span(5, 5) },
      { kind: 'netns', name: 'overlay:ht-overlay', ...span(6, 8) },
      { kind: 'netns', name: 'container:c2', ...span(9, 9) },
    ]);
  });

  it('moves the namespaces and rows below the host tier', () => {
    expect(html).toContain('<g transform="translate(0 24)">');
  });
});

describe('the HTML ladder of a single-host trace (the control)', () => {
  const html = page(path.join(FIXTURES, 'ping-out'));

  it('brackets the namespaces only, at the top of the ladder as before', () => {
    expect(brackets(html)).toEqual([
      { kind: 'netns', name: 'container:c1', ...span(0, 0) },
      { kind: 'netns', name: 'host', ...span(1, 3) },
    ]);
    expect(html).not.toContain('host-group');
    expect(html).not.toContain('translate(0 24)');
  });
});
