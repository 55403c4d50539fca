// The terminal UI shows why: the selected flow's detail holds the why: line of its verdict and
// of its rewrites, in the text report's words, wrapped but never cut. Rendered with
// ink-testing-library over a replay of fixtures/why/ttl-expired-host (recorded with --record, so
// host.json is beside the pcaps): flow 1 pings with TTL 2 (ok, SNAT by Docker's MASQUERADE),
// flow 2 with TTL 1 (rejected: the Docker host answered time to live exceeded).
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { openTrace } from '../../src/capture/trace.js';
import { replaySource } from '../../src/capture/replay-session.js';
import { runTrace } from '../../src/pipeline/run-trace.js';
import { attachCauses } from '../../src/evidence/causes.js';
import { readHostFile } from '../../src/evidence/host-file.js';
import { whyLine } from '../../src/evidence/words.js';
import { TraceApp } from '../../src/render/tui/App.js';
import { createTheme } from '../../src/render/tui/theme.js';
import { createTraceStore, type TraceStore } from '../../src/render/tui/trace-store.js';
import type { FlowReport, Report } from '../../src/model.js';

const DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'why', 'ttl-expired-host');
const DOWN = '\u001B[B';
const UP = '\u001B[A';
const SNAT = 'why: source rewritten by a rule in chain POSTROUTING of table nat (iptables-nft): `-A POSTROUTING -s 198.18.0.0/24 ! -o docker0 -j MASQUERADE`; conntrack 198.18.0.2 -> 203.0.113.2 id 20 <-> 203.0.113.2 -> 203.0.113.1 id 20';
const TTL = 'why: the Docker host answered: time to live exceeded (TTL 1 or less at docker0: too little to forward them)';

const frames = (ms = 120): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

/** The replay played to its end in the UI, at `columns` wide; with host.json's causes when `withHost`. */
async function replayed(columns: number, withHost: boolean) {
  const trace = openTrace([DIR]);
  const session = await runTrace(replaySource(trace, { speed: 0 }), {});
  const store: TraceStore = createTraceStore(session, { flushMs: 20 });
  store.start();
  const evidence = readHostFile(join(DIR, 'host.json'));
  const summary: Report['summary'] = { packetsPerHop: [], skippedFrames: 0, otherFlows: 0, warnings: [], timestamps: '' };
  const explainFlow = withHost ? (flow: FlowReport) => attachCauses({ hops: trace.hops, flows: [flow], summary }, evidence).flows[0]! : undefined;
  const app = render(<TraceApp store={store} theme={createTheme(false)} onQuit={() => undefined} explainFlow={explainFlow} />);
  Object.defineProperty(app.stdout, 'columns', { value: columns, configurable: true });
  Object.defineProperty(app.stdout, 'rows', { value: 30, configurable: true });
  app.stdout.emit('resize');
  store.finalize(await session.report);
  store.flush();
  await frames();
  cleanup = () => {
    store.stop();
    app.unmount();
    app.cleanup();
  };
  return {
    lines: () => (app.lastFrame() ?? '').split('\n'),
    async press(key: string) {
      app.stdin.write(key);
      await frames();
    },
    /** Moves the selection to flow `id`, wherever the list put it. */
    async select(id: number) {
      const selected = (): string => (app.lastFrame() ?? '').split('\n').find((l) => l.startsWith('›')) ?? '';
      for (const key of [DOWN, DOWN, UP, UP, UP]) {
        if (selected().startsWith(`› ${id} `)) return;
        app.stdin.write(key);
        await frames();
      }
      if (!selected().startsWith(`› ${id} `)) throw new Error(`flow ${id} cannot be selected:\n${app.lastFrame()}`);
    },
  };
}

/** The wrapped lines of a why: line, read back as the one line the text report prints. */
function unwrapped(lines: string[], start: string): string {
  const at = lines.findIndex((l) => l.trimStart().startsWith(start));
  if (at < 0) throw new Error(`no line starting with ${start}:\n${lines.join('\n')}`);
  const indent = lines[at]!.length - lines[at]!.trimStart().length;
  const rest = lines.slice(at + 1);
  const more = rest.slice(0, Math.max(0, rest.findIndex((l) => !l.startsWith(' '.repeat(indent + 2)) || l.trim() === '')));
  return [lines[at]!.trim(), ...more.map((l) => l.trim())].join(' ');
}

describe('the TUI shows causes', () => {
  it("the rejected flow's detail holds the text report's why: line under its finding, whole at 80 columns", async () => {
    const ui = await replayed(80, true);
    await ui.select(2);
    const lines = ui.lines();
    expect(lines.find((l) => l.startsWith('›'))).toMatch(/^› 2 icmp +198\.18\.0\.2 → 203\.0\.113\.2 +✗ rejected/);
    expect(unwrapped(lines, 'why: the Docker host')).toBe(TTL);
    const finding = lines.findIndex((l) => l.startsWith('  ! rejected: '));
    expect(lines[finding + 1]).toBe('  why: the Docker host answered: time to live exceeded (TTL 1 or less at');
    expect(lines.every((l) => l.length <= 80)).toBe(true);
  });

  it("the ok flow's detail holds the SNAT rule and its conntrack entry under the NAT line, and no why: of a verdict", async () => {
    const ui = await replayed(80, true);
    await ui.select(1);
    const lines = ui.lines();
    expect(lines.find((l) => l.startsWith('›'))).toMatch(/^› 1 icmp .*✓ ok/);
    const nat = lines.findIndex((l) => l.startsWith('  NAT SNAT 198.18.0.2 -> 203.0.113.1 @ docker0→eth0'));
    expect(nat).toBeGreaterThan(0);
    expect(lines[nat + 1]!.trimStart().startsWith('why: source rewritten')).toBe(true);
    expect(unwrapped(lines, 'why: source rewritten')).toBe(SNAT);
    expect(lines.some((l) => l.includes('answered'))).toBe(false);
  });

  it('says the same words as the text report (one render function)', async () => {
    const trace = openTrace([DIR]);
    const report = attachCauses(await (await runTrace(replaySource(trace, { speed: 0 }), {})).report, readHostFile(join(DIR, 'host.json')));
    const words = report.flows.flatMap((f) => [f.cause, ...f.rewrites.map((r) => r.cause)]).filter((c) => c !== undefined).map(whyLine);
    expect(words).toContain(TTL);
    expect(words).toContain(SNAT);
  });

  it('without the host state (the pcaps alone) the detail has no why: line', async () => {
    const ui = await replayed(120, false);
    await ui.select(1);
    expect(ui.lines().some((l) => l.includes('why:'))).toBe(false);
    await ui.select(2);
    expect(ui.lines().some((l) => l.includes('why:'))).toBe(false);
  });
});
