// Debian's chromium, headless, as the HTML tests drive it: the DOM it built, a screenshot, and
// its network log. Background services are pointed at a resolver that resolves nothing, so
// nothing leaves the machine; a page's own requests still reach the network log first.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-extensions',
  '--hide-scrollbars',
  '--host-resolver-rules=MAP * ~NOTFOUND',
  '--proxy-server=http://127.0.0.1:9',
];

export interface Rendered {
  dom: string;
  /** URLs of the requests made on behalf of the page (network isolation key of its file:// site). */
  pageRequests: string[];
  console: string;
}

export function render(file: string, work: string, screenshot?: string): Rendered {
  const profile = fs.mkdtempSync(path.join(work, 'profile-'));
  const netlog = path.join(profile, 'netlog.json');
  const url = `file://${file}`;
  const run = spawnSync('chromium', [...FLAGS, `--user-data-dir=${profile}`, `--log-net-log=${netlog}`, '--net-log-capture-mode=Everything', '--enable-logging=stderr', '--v=0', '--dump-dom', url], {
    encoding: 'utf8',
    timeout: 90_000,
    maxBuffer: 64 << 20,
  });
  if (run.status !== 0) throw new Error(`chromium exited ${run.status}: ${run.stderr.slice(-2000)}`);
  if (screenshot) {
    const shot = spawnSync('chromium', [...FLAGS, `--user-data-dir=${profile}`, '--window-size=1200,1600', `--screenshot=${screenshot}`, url], { encoding: 'utf8', timeout: 90_000 });
    if (shot.status !== 0) throw new Error(`chromium --screenshot exited ${shot.status}`);
  }
  return { dom: run.stdout, pageRequests: pageRequests(netlog), console: run.stderr };
}

function pageRequests(netlog: string): string[] {
  const log = JSON.parse(fs.readFileSync(netlog, 'utf8')) as { constants: { logEventTypes: Record<string, number> }; events: { type: number; params?: Record<string, unknown> }[] };
  const start = log.constants.logEventTypes.URL_REQUEST_START_JOB;
  return log.events
    .filter((e) => e.type === start && String(e.params?.network_isolation_key ?? '').startsWith('file://'))
    .map((e) => String(e.params?.url));
}

/** The text of every element of a class, entities decoded, as the browser serialised it. */
export function texts(dom: string, tag: string, cls: string): string[] {
  const re = new RegExp(`<${tag}[^>]*class="${cls}"[^>]*>([\\s\\S]*?)</${tag}>`, 'g');
  return [...dom.matchAll(re)].map((m) => decode(m[1].replace(/<[^>]+>/g, '')));
}

export function decode(html: string): string {
  return html.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&nbsp;/g, ' ').replace(/&amp;/g, '&');
}
