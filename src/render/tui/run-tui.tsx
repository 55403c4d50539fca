import { render } from 'ink';
import type { FlowReport, Report } from '../../model.js';
import type { TraceSession } from '../../session.js';
import { TraceApp } from './App.js';
import { createTheme } from './theme.js';
import type { TraceStore, TraceStoreOptions } from './trace-store.js';

export interface TuiOptions {
  /** false for NO_COLOR or a terminal without colour: no ANSI colour or style is written. */
  color: boolean;
  /** How fast a replay runs, shown in the status line ("replay at 1x", "replay as fast as possible"). */
  speedNote?: string;
  /** Leave the UI as soon as the trace ends instead of waiting for q (scripts, benchmarks). */
  exitWhenDone?: boolean;
  /** Streams to draw on and read keys from; the process's own by default. */
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  store?: TraceStoreOptions;
  /** The selected flow's causes, from the host's state (replay of a recording with host.json). */
  explainFlow?: (flow: FlowReport) => FlowReport;
}

/** runTui with a store that is already listening: events that came before the UI are not lost. */
export async function runTuiWithStore(session: TraceSession, options: TuiOptions, store: TraceStore): Promise<Report> {
  let finalReport: Report | undefined;
  let quitRequested = false;
  let resolveQuit!: () => void;
  const quit = new Promise<void>((resolve) => (resolveQuit = resolve));

  const ended = session.report.then((report) => {
    finalReport = report;
    store.finalize(report);
  });
  const onQuit = (): void => {
    if (quitRequested) return;
    quitRequested = true;
    if (!finalReport) {
      store.setState('stopping');
      session.stop();
    }
    resolveQuit();
  };
  // A SIGINT that does not come through the keyboard (kill -INT), or a SIGTERM, stops the trace
  // the same way: the UI is taken down, the cursor restored, and the report printed with its code.
  const onSigint = (): void => onQuit();
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  const ink = render(<TraceApp store={store} theme={createTheme(options.color)} speedNote={options.speedNote} onQuit={onQuit} waitingForQuit={!options.exitWhenDone} explainFlow={options.explainFlow} />, {
    stdout: options.stdout ?? process.stdout,
    stdin: options.stdin ?? process.stdin,
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: 10,
  });
  try {
    // A capture that fails ends the UI at once: the error is the caller's to print.
    const failure = new Promise<never>((_, reject) => void ended.catch(reject));
    await Promise.race([options.exitWhenDone ? ended : quit, failure]);
    await ended;
    // Let the last frame (every flow settled) reach the terminal before leaving.
    store.flush();
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    store.stop();
    ink.unmount();
    await ink.waitUntilExit().catch(() => undefined);
  }
  return finalReport!;
}
