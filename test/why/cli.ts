// The real command for the cause lab tests: a live run with --text --record, then `replay` of
// the recording as text and JSON, which must give the very same why: lines.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { CLI_PATH, hoptrace } from '../live/support.js';

export interface JsonCause {
  kind: string;
  detail: Record<string, unknown> & { type: string };
  evidence: { counters: unknown[]; conntrack: unknown[]; sysctls: Record<string, string> };
}
export interface JsonFlow {
  proto: string;
  initiator: string;
  responder: string;
  verdict: string;
  cause?: JsonCause;
  relay?: Record<string, unknown>;
  findings: { code: string }[];
  rewrites: { field: string; direction: string; cause?: JsonCause }[];
}
export interface Traced {
  live: string;
  replayed: string;
  dir: string;
  json: { flows: JsonFlow[]; causes: unknown; hops: { name: string; role: string }[] };
}

/** The why: lines of a text report (under verdicts and rewrites), without their indent. */
export const whyLines = (text: string): string[] => text.split('\n').filter((l) => /^\s+(\| +)?why: /.test(l)).map((l) => l.replace(/^\s+(\| +)?/, ''));

export class Recordings {
  private readonly dirs: string[] = [];
  constructor(private readonly env: () => Record<string, string>) {}

  private fresh(): string {
    const dir = mkdtempSync(join(tmpdir(), 'ht-why-'));
    this.dirs.push(dir);
    return join(dir, 'rec');
  }

  /** `hoptrace ARGS --text --record DIR` to its end, exit `exit`, then the replays. */
  run(args: string[], exit: number): Traced {
    const rec = this.fresh();
    const live = hoptrace([...args, '--text', '--record', rec], this.env());
    expect(live.status, live.stderr).toBe(exit);
    return this.replay(live.stdout, rec);
  }

  /** `hoptrace watch ARGS --text --record DIR` while `act` makes traffic once every hop captures; Ctrl-C ends it. */
  async watch(args: string[], act: () => void, exit: number): Promise<Traced> {
    const rec = this.fresh();
    const cli = spawn(process.execPath, [CLI_PATH, 'watch', ...args, '--text', '--record', rec], { env: { ...process.env, NO_COLOR: '1', ...this.env() } });
    let stdout = '';
    let stderr = '';
    cli.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number | null>((resolve) => cli.on('close', resolve));
    try {
      const until = Date.now() + 30_000;
      while (!stderr.includes('capturing on') && Date.now() < until && cli.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 500));
      act();
      await new Promise((r) => setTimeout(r, 1200));
    } finally {
      cli.kill('SIGINT');
    }
    expect(await closed, stderr).toBe(exit);
    return this.replay(stdout, rec);
  }

  replay(live: string, rec: string): Traced {
    expect(readdirSync(rec)).toContain('host.json');
    const replayed = hoptrace(['replay', rec, '--text']).stdout;
    const json = JSON.parse(hoptrace(['replay', rec, '--json']).stdout) as Traced['json'];
    // A live watch prints flows as they end, a replay by flow number: the same lines, maybe in another order.
    expect(whyLines(replayed).sort()).toEqual(whyLines(live).sort());
    return { live, replayed, json, dir: rec };
  }

  /** The recording's pcaps alone, as users bring captures: replayed as text and JSON. */
  plain(rec: string): { text: string; json: Traced['json'] } {
    const pcaps = readdirSync(rec).filter((f) => f.endsWith('.pcap')).sort().map((f) => join(rec, f));
    return { text: hoptrace(['replay', ...pcaps, '--text']).stdout, json: JSON.parse(hoptrace(['replay', ...pcaps, '--json']).stdout) as Traced['json'] };
  }

  remove(): void {
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** Runs a command that is meant to fail (its traffic is answered by an error). */
export function failing(fn: () => unknown): void {
  try {
    fn();
  } catch {
    // the traffic's failure is what the trace shows
  }
}
