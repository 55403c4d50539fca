// path.json: the description of a trace directory, written by `--record` and by hand.
// Every problem is reported as one line naming path.json and the field; nothing of the
// file is echoed but the offending field's value, escaped and cut short.
import { join } from 'node:path';
import { ExitCode, FatalError } from '../../errors.js';
import type { Hop } from '../../model.js';
import { LATEST_TIMESTAMP, MAX_HOPS, PATH_JSON_LIMIT, tooManyHops } from './limits.js';
import { text, validateHop } from './path-json-hop.js';
import { quoted } from './printable.js';
import { RefusedFile, readSmallFile } from './regular-file.js';
import { type OutsideFile, outsideWhy, resolveInTraceDir } from './trace-dir.js';

export interface PathDescription {
  description?: string;
  /** When the captures were stopped, in seconds since the epoch (written by --record). */
  stoppedAt?: number;
  /** Hops in path order, with `file` resolved against the directory. */
  hops: Hop[];
  /** Files named that lie outside the directory (only ever non-empty when allowed). */
  outside: OutsideFile[];
}

export interface PathJsonOptions {
  /** Read files outside the trace directory instead of refusing them; they are listed in `outside`. */
  allowOutside?: boolean;
}

/** The flag a user gives to read files outside the directory (wired by the CLI). */
export const ALLOW_OUTSIDE_FLAG = '--allow-outside-files';

export function readPathJson(dir: string, options: PathJsonOptions = {}): PathDescription {
  const file = join(dir, 'path.json');
  const self = resolveInTraceDir(dir, 'path.json');
  if (self.outside && !options.allowOutside) throw bad(`${file}: ${outsideWhy(self.outside)}; refused (${ALLOW_OUTSIDE_FLAG} to read it)`);
  const doc = validate(file, dir, parse(file, dir, readText(file, dir)), options);
  if (self.outside) doc.outside.unshift(self.outside);
  return doc;
}

function readText(file: string, dir: string): string {
  try {
    return readSmallFile(file, PATH_JSON_LIMIT).toString('utf8');
  } catch (err) {
    if (!(err instanceof RefusedFile)) throw err;
    if (err.code === 'ENOENT') throw bad(`${dir}: not a trace directory (it has no path.json)`);
    throw bad(`${file}: cannot read: ${err.why}`);
  }
}

function parse(file: string, dir: string, text: string): unknown {
  try {
    // A byte-order mark, as some Windows editors write, is not an error in the document.
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw bad(`${file}: not valid JSON: ${jsonProblem((err as Error).message, text)}`);
  }
}

/**
 * V8's JSON.parse messages quote the text around the problem ("root:x:0:0..."); only its
 * kind and position are kept, so that a mistaken path.json is never echoed.
 */
function jsonProblem(message: string, text: string): string {
  if (message.startsWith('Unexpected token')) return 'unexpected character';
  const at = / in JSON at position (\d+)/.exec(message);
  const kind = message.replace(/ in JSON at position \d+.*$/, '').replace(/^./, (c) => c.toLowerCase());
  if (!at) return kind.includes('"') ? 'unexpected text' : kind;
  const before = text.slice(0, Number(at[1])).split('\n');
  return `${kind}, at line ${before.length} column ${before[before.length - 1].length + 1}`;
}

function validate(file: string, dir: string, doc: unknown, options: PathJsonOptions): PathDescription {
  if (!isObject(doc)) throw bad(`${file}: must be a JSON object with "hops"`);
  const result: PathDescription = { hops: [], outside: [] };
  if (doc.description !== undefined) result.description = text(file, 'description', doc.description);
  if (doc.stoppedAt !== undefined) result.stoppedAt = stoppedAt(file, doc.stoppedAt);
  if (!Array.isArray(doc.hops) || doc.hops.length === 0) {
    throw bad(`${file}: hops: must be a non-empty array of hops, in path order`);
  }
  if (doc.hops.length > MAX_HOPS) throw bad(`${file}: hops: ${tooManyHops(doc.hops.length)}`);
  const names = new Set<string>();
  doc.hops.forEach((entry: unknown, i: number) => {
    const hop = validateHop(file, `hops[${i}]`, entry);
    if (names.has(hop.name)) throw bad(`${file}: hops[${i}].name: ${quoted(hop.name)} names two hops`);
    names.add(hop.name);
    const resolved = resolveInTraceDir(dir, hop.file ?? '', i);
    if (resolved.outside) {
      const refused = `${file}: hops[${i}].file: ${quoted(hop.file)} ${outsideWhy(resolved.outside)}`;
      if (!options.allowOutside) throw bad(`${refused}; refused (${ALLOW_OUTSIDE_FLAG} to read it)`);
      result.outside.push(resolved.outside);
    }
    hop.file = resolved.path;
    result.hops.push(hop);
  });
  return result;
}

/** Seconds since the epoch, no later than a capture can be (see LATEST_TIMESTAMP). */
function stoppedAt(file: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value >= LATEST_TIMESTAMP) {
    throw bad(`${file}: stoppedAt: must be seconds since the epoch, from 0 to ${LATEST_TIMESTAMP} (year 2106) (got ${quoted(value)})`);
  }
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bad(message: string): FatalError {
  return new FatalError(message, ExitCode.BAD_INPUT);
}
