import { EventEmitter } from 'node:events';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { runTui } from '../../src/render/tui/index.js';
import { KEY } from './harness.js';
import { playTwoPings, twoPings } from './scenario.js';
import { endpointText } from '../../src/render/values.js';

/** A terminal as Ink sees one: a TTY stdout of 80x24 that keeps what was written, a raw stdin. */
function fakeTerminal() {
  const stdout = Object.assign(new EventEmitter(), {
    isTTY: true,
    columns: 80,
    rows: 24,
    written: '',
    write(chunk: string) {
      stdout.written += chunk;
      return true;
    },
  });
  const stdin = Object.assign(new EventEmitter(), {
    isTTY: true,
    data: null as string | null,
    setEncoding() {},
    setRawMode() {},
    resume() {},
    pause() {},
    ref() {},
    unref() {},
    read() {
      const data = stdin.data;
      stdin.data = null;
      return data;
    },
    press(key: string) {
      stdin.data = key;
      stdin.emit('readable');
      stdin.emit('data', key);
    },
  });
  const streams = { stdout: stdout as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream };
  return { stdout, stdin, streams };
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Waits until the terminal shows `text` (a loaded machine draws late), at most 5 s. */
async function shown(terminal: { stdout: { written: string } }, text: string): Promise<void> {
  for (let i = 0; i < 100 && !terminal.stdout.written.includes(text); i++) await wait(50);
}
// Ink's own exit hook may stay registered; the UI's SIGINT handler must not outlive it.
afterEach(() => expect(process.listeners('SIGINT').map((l) => l.name)).not.toContain('onSigint'));

describe('runTui', () => {
  // runTui loads Ink on first use; loaded once here, the timings below do not include it.
  beforeAll(async () => {
    await import('../../src/render/tui/run-tui.js');
  });

  test('q while capturing stops the session, waits for it, and returns the final report', async () => {
    const session = twoPings();
    const terminal = fakeTerminal();
    const running = runTui(session, { color: false, ...terminal.streams });
    playTwoPings(session);
    await shown(terminal, '✗ dropped between docker0 and eth0');
    expect(terminal.stdout.written).toContain('✗ dropped between docker0 and eth0');
    expect(session.stopped).toBe(false);
    expect(process.listeners('SIGINT').map((l) => l.name)).toContain('onSigint');
    terminal.stdin.press('q');
    const report = await running;
    expect(session.stopped).toBe(true);
    expect(report.flows.map((f) => [endpointText(f.responder), f.verdict])).toEqual([
      ['203.0.113.9', 'ok'],
      ['203.0.113.50', 'dropped'],
    ]);
  });

  test('Ctrl-C does what q does', async () => {
    const session = twoPings();
    const terminal = fakeTerminal();
    const running = runTui(session, { color: false, ...terminal.streams });
    await shown(terminal, 'no flows yet');
    terminal.stdin.press(KEY.ctrlC);
    const report = await running;
    expect(session.stopped).toBe(true);
    expect(report.flows).toEqual([]);
  });

  test('a replay that ended stays on screen, with every verdict final, until q', async () => {
    const session = twoPings();
    const terminal = fakeTerminal();
    let returned = false;
    const running = runTui(session, { color: false, speedNote: 'replay as fast as possible', ...terminal.streams }).then((report) => {
      returned = true;
      return report;
    });
    playTwoPings(session);
    session.end();
    await shown(terminal, '■ ended');
    await wait(100);
    expect(returned).toBe(false);
    expect(terminal.stdout.written).toContain('■ ended 0:00 replay as fast as possible');
    expect(terminal.stdout.written).toContain('/ filter  ? legend  q quit, print report');
    terminal.stdin.press('q');
    const report = await running;
    expect(session.stopped).toBe(false);
    expect(report.flows).toHaveLength(2);
  });

  test('with exitWhenDone it returns as soon as the trace ends', async () => {
    const session = twoPings();
    const terminal = fakeTerminal();
    const running = runTui(session, { color: false, exitWhenDone: true, ...terminal.streams });
    playTwoPings(session);
    session.end();
    const report = await running;
    expect(report.flows.map((f) => f.verdict)).toEqual(['ok', 'dropped']);
  });

  test('a capture that fails ends the UI and hands the error to the caller', async () => {
    const session = twoPings();
    const failing = { ...session, report: Promise.reject(new Error('eth0: capture stopped: device gone')) };
    const terminal = fakeTerminal();
    await expect(runTui(failing, { color: false, ...terminal.streams })).rejects.toThrow('eth0: capture stopped: device gone');
  });
});
