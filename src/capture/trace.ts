// The replay source: turns what the user named on the command line into hops and one
// stream of frames from all of them in time order.
import { existsSync, statSync } from 'node:fs';
import { join, parse as parsePath } from 'node:path';
import { CaptureFileError, ExitCode, FatalError } from '../errors.js';
import type { Frame, Hop, SourceWarning } from '../model.js';
import type { FrameSink } from '../source.js';
import { bytesRead, HopSource, type HopMap, isDecodedLinkType, skippedInterface, unsupportedLinkType } from './files/hop-source.js';
import { type CaptureInterface, type OpenOptions, openCaptureFile } from './files/open.js';
import { mergeByTime, pushMerged, pushMergedThreaded } from './files/merge.js';
import { type PipeRequest, pushPiped } from './files/frame-pipe.js';
import { MAX_HOPS, tooManyHops } from './files/limits.js';
import { readPathJson } from './files/path-json.js';
import { printable, quoted } from './files/printable.js';
import { splitSingleFile } from './files/single-file.js';
import { withHoptraceDetails } from './files/pcapng-hops.js';
import { type OutsideFile, type ResolvedFile, outsideWhy, resolveInTraceDir } from './files/trace-dir.js';
import { ALLOW_OUTSIDE_FLAG } from './files/path-json.js';

export interface ReplayTrace {
  hops: Hop[];
  /** Frames of every hop merged in time order; a file's own records keep their file order. */
  frames(): Generator<Frame>;
  /** The frames of frames(), pushed into a sink as bytes in a reused buffer (FrameSink.pushAt): the fast way through. */
  pushAll?(sink: Required<Pick<FrameSink, 'pushAt'>>, progress?: () => void): void;
  /** Non-fatal problems; reading warnings (a file cut short) arrive as frames() reaches them. */
  warnings: SourceWarning[];
  /** Bytes read so far by frames() over the bytes of all files: for a progress display. */
  progress(): { done: number; total: number };
  close(): void;
  description?: string;
  /** When the captures were stopped (path.json's stoppedAt): packets on their way then were in flight. */
  stoppedAt?: { sec: number; nsec: number };
  /**
   * Files the trace directory names that lie outside it (an absolute path, `..`, a link
   * pointing out), read because options.allowOutside said so. The report must name them.
   */
  outsideFiles: OutsideFile[];
  /** The host's state around the trace (host.json, written by --record) when the directory has one. */
  hostFile?: string;
}

export interface TraceOptions extends OpenOptions {
  /**
   * Read files a trace directory names outside itself instead of refusing them (the CLI's
   * --allow-outside-files); they are listed in ReplayTrace.outsideFiles.
   */
  allowOutside?: boolean;
  /** Read the hop files in this many worker threads during pushAll (0 or unset: on the calling thread). */
  readThreads?: number;
  /**
   * Have another thread read and merge the hop files during pushAll (capture/files/frame-pipe.ts):
   * called with what to read and the shared buffer to read it into. readThreads takes precedence.
   */
  readElsewhere?: (request: PipeRequest) => void;
}

/**
 * The forms of `hoptrace replay <trace>`: a directory with path.json; several capture files
 * (one hop each, in argument order); one pcapng file with several interfaces (one hop per
 * if_name); one LINUX_SLL2 capture (one hop per interface index); any other single file is
 * one hop. A LINUX_SLL (v1) capture has no interface index, so `tcpdump -i any` files in
 * that format cannot be split by interface and are one hop like any other single file.
 */
export function openTrace(inputs: string[], options: TraceOptions = {}): ReplayTrace {
  if (inputs.length === 0) throw new FatalError('no capture given: name a trace directory or capture files', ExitCode.BAD_INPUT);
  const warnings: SourceWarning[] = [];
  const warn = warningCollector(warnings);
  if (inputs.length > MAX_HOPS) throw new FatalError(`${inputs.length} capture files given, one hop each: ${tooManyHops(inputs.length)}`, ExitCode.BAD_INPUT);
  const { hops, maps, description, stoppedAt, outside, hostFile } = describe(inputs, options, warn);
  // Read only because the user allowed it: the report says which files they were, first and
  // never folded into a count.
  warnings.unshift(...(outside ?? []).map((file) => outsideWarning(inputs[0]!, hops, file)));
  const sources = maps.map(([file, map]) => new HopSource(file, map, options, warn));
  const files = maps.map(([file, map]) => ({ file, map }));
  const readOptions = { classicReader: options.classicReader };
  /** The byte count of the thread reading for pushAll, when one does. */
  let readElsewhere: (() => { done: number; total: number }) | undefined;
  const trace: ReplayTrace = {
    hops,
    warnings,
    outsideFiles: outside ?? [],
    frames: () => mergeByTime(sources),
    pushAll: (sink, progress) => {
      if (options.readThreads) pushMergedThreaded(files, readOptions, options.readThreads, warn, sink, progress);
      else if (options.readElsewhere) pushPiped(files, readOptions, options.readElsewhere, warn, sink, progress, (bytes) => (readElsewhere = bytes));
      else pushMerged(sources, sink, progress);
    },
    progress: () => readElsewhere?.() ?? bytesRead(sources),
    close: () => sources.forEach((s) => s.close()),
  };
  if (description !== undefined) trace.description = description;
  if (stoppedAt !== undefined) trace.stoppedAt = splitSeconds(stoppedAt);
  if (hostFile !== undefined) trace.hostFile = hostFile;
  return trace;
}

function outsideWarning(dir: string, hops: Hop[], file: OutsideFile): SourceWarning {
  const where = file.hop === undefined ? join(dir, file.named) : (hops[file.hop]?.file ?? file.named);
  return { file: where, offset: 0, message: `read with ${ALLOW_OUTSIDE_FLAG}: ${quoted(file.named)} ${outsideWhy(file)}` };
}

/** The host's state beside a recorded trace's pcaps (src/evidence/host-file.ts reads it). */
const HOST_FILE = 'host.json';

/** Warnings of one file beyond this many are counted in one line instead of listed. */
const WARNINGS_PER_FILE = 20;

/**
 * Adds each distinct warning once; past WARNINGS_PER_FILE for a file (a pcapng file can
 * describe 65536 interfaces of a link type nothing decodes), one line counts the rest.
 */
function warningCollector(warnings: SourceWarning[]): (w: SourceWarning) => void {
  const seen = new Set<string>();
  const perFile = new Map<string, { count: number; rest?: SourceWarning }>();
  return (w) => {
    const key = `${w.file}\0${w.offset}\0${w.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    const tally = perFile.get(w.file) ?? { count: 0 };
    perFile.set(w.file, tally);
    if (++tally.count <= WARNINGS_PER_FILE) {
      warnings.push(w);
      return;
    }
    const more = tally.count - WARNINGS_PER_FILE;
    if (!tally.rest) warnings.push((tally.rest = { file: w.file, offset: w.offset, message: '' }));
    tally.rest.message = `${more} more warning${more === 1 ? '' : 's'} about this file left out`;
  };
}

interface TraceShape {
  hops: Hop[];
  maps: [string, HopMap][];
  description?: string;
  stoppedAt?: number;
  outside?: OutsideFile[];
  hostFile?: string;
}

/** Seconds as whole seconds and nanoseconds, to the microsecond --record writes. */
function splitSeconds(seconds: number): { sec: number; nsec: number } {
  const micros = Math.round(seconds * 1e6);
  const sec = Math.floor(micros / 1e6);
  return { sec, nsec: (micros - sec * 1e6) * 1000 };
}

function describe(inputs: string[], options: TraceOptions, warn: (w: SourceWarning) => void): TraceShape {
  if (inputs.length === 1 && isDirectory(inputs[0])) {
    const path = readPathJson(inputs[0], { allowOutside: options.allowOutside === true });
    const shape: TraceShape = { hops: path.hops, maps: path.hops.map((hop, i) => [hop.file ?? '', { kind: 'whole', hop: i }]) };
    if (path.outside.length > 0) shape.outside = path.outside;
    if (path.description !== undefined) shape.description = path.description;
    if (path.stoppedAt !== undefined) shape.stoppedAt = path.stoppedAt;
    const host = hostFileIn(inputs[0], options);
    if (host?.outside) (shape.outside ??= []).push(host.outside);
    if (host) shape.hostFile = host.path;
    checkLinkTypes(shape, options, warn);
    return shape;
  }
  if (inputs.length === 1) {
    const split = splitSingleFile(inputs[0], options, warn);
    if (split) return withHoptraceDetails(inputs[0], split);
  }
  const hops: Hop[] = hopNames(inputs).map((name, i) => ({ name, role: 'other', addrs: [], file: inputs[i] }));
  let shape: TraceShape = { hops, maps: inputs.map((file, i) => [file, { kind: 'whole', hop: i }]) };
  if (inputs.length === 1) shape = withHoptraceDetails(inputs[0], shape);
  checkLinkTypes(shape, options, warn);
  return shape;
}

/**
 * Opens each file far enough to see its first record: a broken file fails here, before any
 * work, and a hop whose interfaces are all of a link type nothing decodes is announced.
 * When no hop is usable at all, the trace is refused.
 */
function checkLinkTypes(shape: TraceShape, options: OpenOptions, warn: (w: SourceWarning) => void): void {
  let usable = 0;
  let firstUnusable: [string, CaptureInterface] | null = null;
  for (const [file] of shape.maps) {
    const reader = openCaptureFile(file, options);
    try {
      reader.next();
      const ifaces = reader.interfaces();
      const decoded = ifaces.length === 0 || ifaces.some((iface) => isDecodedLinkType(iface.linkType));
      if (decoded) usable++;
      else {
        firstUnusable ??= [file, ifaces[0]];
        warn(skippedInterface(file, ifaces[0]));
      }
    } finally {
      reader.close();
    }
  }
  if (usable === 0 && firstUnusable) {
    const [file, iface] = firstUnusable;
    throw new CaptureFileError(file, iface.offset, unsupportedLinkType(iface));
  }
}

/**
 * Hops are named after their files. Two files of the same name in different folders keep
 * their paths apart; a file named twice gets a number, since hop names must be unique.
 */
function hopNames(files: string[]): string[] {
  const bases = files.map((file) => printable(parsePath(file).name));
  const names = files.map((file, i) => (bases.indexOf(bases[i]) === bases.lastIndexOf(bases[i]) ? bases[i] : printable(file)));
  return names.map((name, i) => {
    const before = names.slice(0, i).filter((other) => other === name).length;
    return before === 0 ? name : `${name} (${before + 1})`;
  });
}

/** host.json beside the pcaps (--record writes it), held to the same rule as the hop files: it stays inside the directory. */
function hostFileIn(dir: string, options: TraceOptions): ResolvedFile | undefined {
  const host = resolveInTraceDir(dir, HOST_FILE);
  if (!existsSync(host.path)) return undefined;
  if (host.outside && options.allowOutside !== true) {
    throw new FatalError(`${host.path}: ${outsideWhy(host.outside)}; refused (${ALLOW_OUTSIDE_FLAG} to read it)`, ExitCode.BAD_INPUT);
  }
  return host;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
