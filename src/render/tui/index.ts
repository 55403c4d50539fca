import type { Report } from '../../model.js';
import type { TraceSession } from '../../session.js';
import type { TuiOptions } from './run-tui.js';
import { createTraceStore } from './trace-store.js';

export type { TuiOptions } from './run-tui.js';
export type { TraceStore, TraceView, TraceStoreOptions } from './trace-store.js';

/**
 * Shows the trace in the terminal while `session` runs and returns its final report once the
 * trace is over and the user has quit (q or Ctrl-C ask a running capture to stop first). The UI
 * is unmounted when this resolves: the caller prints the report below it, into the scrollback.
 *
 * The terminal UI's entry (see run-tui.tsx). React is loaded here, on first use, so that it can
 * be its production build, which draws a busy trace with about half the CPU of the development
 * build React picks when NODE_ENV is unset. The store listens to the trace before that import:
 * the session may already be pushing frames while React loads.
 */
export async function runTui(session: TraceSession, options: TuiOptions): Promise<Report> {
  const store = createTraceStore(session, options.store);
  store.start();
  process.env.NODE_ENV ??= 'production';
  const { runTuiWithStore } = await import('./run-tui.js');
  return runTuiWithStore(session, options, store);
}
