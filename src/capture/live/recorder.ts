import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Hop } from '../../model.js';
import { ExitCode, FatalError } from '../../errors.js';
import { PcapWriter } from './pcap-writer.js';

/** The file name a hop is recorded to: "01-c1-eth0.pcap". */
export function hopFileName(index: number, hop: Hop): string {
  const slug = hop.name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '') || 'hop';
  return `${String(index + 1).padStart(2, '0')}-${slug}.pcap`;
}

/** path.json in the trace-directory format `hoptrace replay` reads. */
export function pathJson(description: string, hops: Hop[], stoppedAt?: number): string {
  const entries = hops.map((hop, i) => ({
    file: hop.file ?? hopFileName(i, hop),
    name: hop.name,
    role: hop.role,
    netns: hop.netns,
    iface: hop.iface,
    addrs: hop.addrs,
    host: hop.host,
    clockUncertaintyUs: hop.clockUncertaintyUs,
  }));
  return `${JSON.stringify({ description, ...(stoppedAt === undefined ? {} : { stoppedAt }), hops: entries }, null, 2)}\n`;
}

/**
 * `--record <dir>`: path.json first (written then renamed, so it is whole or absent), then one
 * pcap per hop that grows as frames arrive and is flushed on every tick and on stop.
 */
/** The hops as a recording names their files, and the recorder writing them (none without --record). */
export function recording(hops: Hop[], recordDir: string | undefined, description: string): { hops: Hop[]; recorder?: TraceRecorder } {
  if (!recordDir) return { hops };
  const named = hops.map((hop, i) => ({ ...hop, file: hopFileName(i, hop) }));
  return { hops: named, recorder: new TraceRecorder(recordDir, named, description) };
}

export class TraceRecorder {
  private readonly writers: (PcapWriter | undefined)[];

  constructor(
    readonly dir: string,
    readonly hops: Hop[],
    private readonly description: string,
  ) {
    try {
      mkdirSync(dir, { recursive: true });
      this.writePathJson();
    } catch (error) {
      throw new FatalError(`cannot write trace directory ${dir}: ${(error as Error).message}`, ExitCode.BAD_INPUT);
    }
    this.writers = hops.map(() => undefined);
  }

  /** Whole or absent: written aside, then renamed over the old one. */
  private writePathJson(stoppedAt?: number): void {
    const tmp = join(this.dir, '.path.json.tmp');
    writeFileSync(tmp, pathJson(this.description, this.hops, stoppedAt));
    renameSync(tmp, join(this.dir, 'path.json'));
  }

  /** Opens a hop's file once its capture knows the link type. */
  open(hop: number, linkType: number): void {
    const file = join(this.dir, this.hops[hop]!.file ?? hopFileName(hop, this.hops[hop]!));
    this.writers[hop] = new PcapWriter(file, linkType);
  }

  write(frame: Frame): void {
    this.writers[frame.hop]?.write(frame);
  }

  flush(): void {
    for (const writer of this.writers) writer?.flush();
  }

  /** Removes what this recorder wrote (a trace that could not start). */
  discard(): void {
    this.close();
    rmSync(join(this.dir, 'path.json'), { force: true });
    for (const writer of this.writers) if (writer) rmSync(writer.path, { force: true });
  }

  /** `stoppedAt` (seconds since the epoch) lets replay tell packets in flight from lost ones. */
  close(stoppedAt?: number): void {
    for (const writer of this.writers) writer?.close();
    if (stoppedAt !== undefined) this.writePathJson(stoppedAt);
  }
}
