// The --html report of several fixtures, rendered by Debian's chromium headless: the hop
// names, the rewrite labels on the arrows and the verdict are in the DOM the browser built,
// a screenshot is taken, and no request was made on behalf of the page. What this proves
// about "loaded nothing": chromium's network log holds no request whose network isolation key
// is the page's file:// site (a control page with an <img> and a <link> to outside addresses
// shows both there), and the served document has no attribute or style pointing elsewhere.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, hoptrace, scratchDir, which } from '../export/support.js';
import { decode, render, texts } from './chromium.js';

const haveChromium = which('chromium') !== null;
const work = scratchDir('html');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
/** Screenshots are kept here for a person to look at when HT_KEEP_SCREENSHOTS names a directory. */
const keep = process.env.HT_KEEP_SCREENSHOTS;

function report(name: string, traceDir = path.join(FIXTURES, name)) {
  const html = path.join(work, `${name}.html`);
  const run = hoptrace(['replay', traceDir, '--html', html, '--json']);
  expect(run.stderr).toBe('');
  return { html, json: JSON.parse(run.stdout) };
}

function externalReferences(dom: string): string[] {
  const refs = [...dom.matchAll(/\s(?:src|href|srcset|action|data|poster|xlink:href)="([^"]*)"/g)].map((m) => m[1]).filter((v) => !v.startsWith('#'));
  const urls = [...dom.matchAll(/url\(([^)]*)\)/g)].map((m) => m[1]).filter((v) => !v.startsWith('#'));
  const imports = [...dom.matchAll(/@import/g)].map(() => '@import');
  return [...refs, ...urls, ...imports];
}

const IN_FLIGHT = 'still on its way from docker0 to eth0 when the capture ended';

const CASES: Record<string, { rewrites: string[]; verdict: string; vanished: number; inFlight: number }> = {
  'ping-out': {
    rewrites: ['SNAT src 198.18.0.2 -> 203.0.113.1', 'un-SNAT dst 203.0.113.1 -> 198.18.0.2'],
    verdict: 'verdict: ok: requests reached eth0 and the answers came back.',
    vanished: 0,
    inFlight: 0,
  },
  'published-port': {
    rewrites: ['DNAT dst 203.0.113.1 -> 198.18.0.2', 'DNAT dport 8080 -> 80', 'un-DNAT src 198.18.0.2 -> 203.0.113.1', 'un-DNAT sport 80 -> 8080'],
    verdict: 'verdict: ok: requests reached c1 eth0 and the answers came back.',
    vanished: 0,
    inFlight: 0,
  },
  'ip-forward-off': {
    rewrites: [],
    verdict: 'verdict: dropped: requests vanished between docker0 and eth0 (last seen at docker0).',
    vanished: 2,
    inFlight: 1,
  },
  'container-to-container': {
    rewrites: [],
    verdict: 'verdict: ok: requests reached c2 eth0 and the answers came back.',
    vanished: 0,
    inFlight: 0,
  },
  'dns-unreachable': {
    rewrites: ['SNAT src 198.18.0.2 -> 203.0.113.1', 'un-SNAT dst 203.0.113.1 -> 198.18.0.2'],
    verdict: 'verdict: rejected: ICMP port unreachable from 203.0.113.2, beyond eth0, answered the request.',
    vanished: 0,
    inFlight: 0,
  },
};

describe.skipIf(!haveChromium)('the HTML report in a real browser (chromium headless)', () => {
  for (const [name, expected] of Object.entries(CASES)) {
    it(`${name}: hop names, rewrite labels on the arrows and the verdict are in the rendered page; nothing was loaded`, () => {
      const { html, json } = report(name);
      const shot = path.join(keep ?? work, `${name}.png`);
      const page = render(html, work, shot);
      expect(texts(page.dom, 'text', 'hop-name')).toEqual(json.hops.map((h: { name: string }, i: number) => `${i + 1}. ${h.name}`));
      expect([...new Set(texts(page.dom, 'text', 'rewrite'))].sort()).toEqual([...expected.rewrites].sort());
      expect(texts(page.dom, 'p', 'verdict')).toEqual([expected.verdict]);
      expect(texts(page.dom, 'text', 'vanished')).toEqual(Array(expected.vanished).fill('vanished between docker0 and eth0'));
      // A packet still on its way when the capture ended has its own mark and words, not a cross.
      expect(texts(page.dom, 'text', 'in-flight')).toEqual(Array(expected.inFlight).fill(IN_FLIGHT));
      expect(page.dom.match(/class="in-flight-mark"/g) ?? []).toHaveLength(expected.inFlight);
      expect(page.dom.match(/class="cross"/g) ?? []).toHaveLength(expected.vanished);
      expect(page.pageRequests).toEqual([]);
      expect(externalReferences(page.dom)).toEqual([]);
      expect(page.dom).not.toMatch(/<script/i);
      expect(page.dom).toContain(`http-equiv="Content-Security-Policy" content="default-src 'none';`);
      expect(fs.statSync(shot).size).toBeGreaterThan(20_000);
    }, 120_000);
  }

  it('ip-forward-off stopped a second after its last request: all three vanished, three crosses and no in-flight mark', () => {
    const trace = path.join(work, 'stopped-later');
    fs.mkdirSync(trace);
    const source = path.join(FIXTURES, 'ip-forward-off');
    for (const f of fs.readdirSync(source)) fs.copyFileSync(path.join(source, f), path.join(trace, f));
    const doc = JSON.parse(fs.readFileSync(path.join(trace, 'path.json'), 'utf8'));
    // The last request is the trace's last packet, seen at docker0 at 1795461744.470406.
    fs.writeFileSync(path.join(trace, 'path.json'), JSON.stringify({ ...doc, stoppedAt: 1795461745.470406 }));
    const { html, json } = report('stopped-later', trace);
    expect(json.flows[0].findings).toEqual([]);
    const page = render(html, work);
    expect(texts(page.dom, 'text', 'vanished')).toEqual(Array(3).fill('vanished between docker0 and eth0'));
    expect(page.dom.match(/class="cross"/g)).toHaveLength(3);
    expect(page.dom).not.toMatch(/class="in-flight/);
    expect(page.dom).not.toContain('when the capture ended</text>');
  }, 120_000);

  it('a control page with an <img> and a stylesheet from outside addresses shows both requests in the network log (the check above can fail)', () => {
    const control = path.join(work, 'control.html');
    fs.writeFileSync(control, '<!DOCTYPE html><html><head><link rel="stylesheet" href="http://198.18.5.5/a.css"></head><body><img src="http://203.0.113.9/x.png"></body></html>');
    const page = render(control, work);
    expect(page.pageRequests.sort()).toEqual(['http://198.18.5.5/a.css', 'http://203.0.113.9/x.png']);
    expect(externalReferences(page.dom).sort()).toEqual(['http://198.18.5.5/a.css', 'http://203.0.113.9/x.png']);
  }, 120_000);

  it('hop names and addresses from a capture are shown as text: markup in them builds no element and loads nothing', () => {
    const trace = path.join(work, 'hostile');
    fs.mkdirSync(trace);
    const source = path.join(FIXTURES, 'ping-out');
    for (const f of fs.readdirSync(source)) fs.copyFileSync(path.join(source, f), path.join(trace, f));
    const doc = JSON.parse(fs.readFileSync(path.join(trace, 'path.json'), 'utf8'));
    doc.hops[1].name = '<img src="http://203.0.113.9/x.png">';
    doc.hops[2].name = "docker0' onmouseover='x";
    doc.description = '</title><style>@import "http://203.0.113.9/y.css";</style>';
    fs.writeFileSync(path.join(trace, 'path.json'), JSON.stringify(doc));
    const { html } = report('hostile', trace);
    const page = render(html, work);
    expect(texts(page.dom, 'text', 'hop-name')).toEqual(['1. c1 eth0', '2. <img src="http://203.0.113.9/x.png">', "3. docker0' onmouseover='x", '4. eth0']);
    expect(page.dom).not.toMatch(/<img/);
    expect(page.dom.match(/<style>/g)).toHaveLength(1);
    expect(decode(page.dom)).toContain('</title><style>@import "http://203.0.113.9/y.css";</style>');
    expect(page.pageRequests).toEqual([]);
  }, 120_000);
});

if (!haveChromium) {
  describe('the HTML report in a real browser (chromium headless)', () => {
    it.skip('skipped: chromium is not installed (apt-get install chromium, or scripts/setup.sh)', () => undefined);
  });
}
