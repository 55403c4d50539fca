// Renders the TUI on ink-testing-library's fake terminal at a chosen size, over a store that
// listens to a real tracer, and gives the test keys to press and frames to read.
import { render } from 'ink-testing-library';
import { TraceApp } from '../../src/render/tui/App.js';
import { createTheme } from '../../src/render/tui/theme.js';
import { createTraceStore, type TraceStore, type TraceStoreOptions } from '../../src/render/tui/trace-store.js';
import type { TraceSession } from '../../src/session.js';

export const KEY = {
  up: '\u001B[A',
  down: '\u001B[B',
  enter: '\r',
  escape: '\u001B',
  backspace: '\u007F',
  ctrlC: '\u0003',
};

export interface Screen {
  store: TraceStore;
  frame(): string;
  lines(): string[];
  press(...keys: string[]): Promise<void>;
  /** Takes the tracer's state now and waits for the frame. */
  refresh(): Promise<void>;
  resize(columns: number, rows: number): Promise<void>;
  quits: number;
  close(): void;
}

export async function showTrace(
  session: TraceSession,
  opts: { columns?: number; rows?: number; color?: boolean; store?: TraceStoreOptions } = {},
): Promise<Screen> {
  const store = createTraceStore(session, { flushMs: 20, ...opts.store });
  store.start();
  store.flush();
  const screen: Partial<Screen> & { quits: number } = { quits: 0 };
  const app = render(<TraceApp store={store} theme={createTheme(opts.color ?? false)} onQuit={() => (screen.quits += 1)} />);
  const setSize = (columns: number, rows: number): void => {
    Object.defineProperty(app.stdout, 'columns', { value: columns, configurable: true });
    Object.defineProperty(app.stdout, 'rows', { value: rows, configurable: true });
    app.stdout.emit('resize');
  };
  setSize(opts.columns ?? 80, opts.rows ?? 24);
  await nextFrames();
  return Object.assign(screen, {
    store,
    frame: () => app.lastFrame() ?? '',
    lines: () => (app.lastFrame() ?? '').split('\n'),
    async press(...keys: string[]) {
      for (const key of keys) {
        app.stdin.write(key);
        await nextFrames();
      }
    },
    async refresh() {
      store.flush();
      await nextFrames();
    },
    async resize(columns: number, rows: number) {
      setSize(columns, rows);
      await nextFrames();
    },
    close() {
      store.stop();
      app.unmount();
      app.cleanup();
    },
  });
}

/** Ink draws at most every ~33 ms and the store flushes every 20 ms here: wait out both. */
export function nextFrames(ms = 80): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
