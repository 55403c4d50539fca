import type { ReplayTrace } from '../capture/trace.js';
import { replaySource, type ReplayPace } from '../capture/replay-session.js';
import type { Report } from '../model.js';
import { runTrace, type RunOptions } from './run-trace.js';

/** A whole recorded trace through the pipeline at once: its final report. */
export async function replayReport(trace: ReplayTrace, options: RunOptions = {}, pace?: ReplayPace): Promise<Report> {
  return (await runTrace(replaySource(trace, pace), options)).report;
}
