// host.json: the host's state around a recorded trace, written by --record beside the
// pcaps and read back by replay, so a replay gives the same causes as the live trace.
import { closeSync, readSync, writeFileSync } from 'node:fs';
import { ExitCode, FatalError } from '../errors.js';
import { openRegularFile, RefusedFile } from '../capture/files/regular-file.js';
import type { HostSnapshot } from './types.js';
import type { TraceEvent } from './trace-rules.js';

export const HOST_FILE_FORMAT = 'hoptrace-host';
export const HOST_FILE_VERSION = 1;
/** A busy host's conntrack table, twice, fits; /dev/zero linked in does not grow hoptrace to gigabytes. */
export const HOST_FILE_LIMIT = 256 * 2 ** 20;

/** One namespace's state before and after the trace. */
export interface NamespaceEvidence {
  /** "host" for the Docker host's namespace, "container:<name>" for a container's. */
  role: string;
  before: HostSnapshot;
  after: HostSnapshot;
}

export interface HostEvidence {
  format: typeof HOST_FILE_FORMAT;
  version: typeof HOST_FILE_VERSION;
  namespaces: NamespaceEvidence[];
  /** --trace-rules: what `nft monitor trace` printed about the traced flows (absent without the option). */
  ruleTrace?: TraceEvent[];
}

export function hostEvidence(namespaces: NamespaceEvidence[], ruleTrace?: TraceEvent[]): HostEvidence {
  return { format: HOST_FILE_FORMAT, version: HOST_FILE_VERSION, namespaces, ...(ruleTrace ? { ruleTrace } : {}) };
}

export function writeHostFile(path: string, evidence: HostEvidence): void {
  writeFileSync(path, `${JSON.stringify(evidence, null, 1)}\n`);
}

function fail(file: string, where: string, problem: string): never {
  throw new FatalError(`${file}: ${where}: ${problem}`, ExitCode.BAD_INPUT);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkSnapshot(file: string, where: string, s: unknown): void {
  if (!isObject(s)) fail(file, where, 'not an object');
  if (typeof s.takenAt !== 'number') fail(file, `${where}.takenAt`, 'not a number');
  if (typeof s.netns !== 'string') fail(file, `${where}.netns`, 'not a string');
  const rs = s.ruleset;
  if (!isObject(rs) || !Array.isArray(rs.rules) || !Array.isArray(rs.chains) || !Array.isArray(rs.backends)) fail(file, `${where}.ruleset`, 'needs rules, chains and backends arrays');
  (rs.rules as unknown[]).forEach((r, i) => {
    if (!isObject(r) || typeof r.text !== 'string' || typeof r.packets !== 'number' || !Array.isArray(r.conditions) || !isObject(r.target)) {
      fail(file, `${where}.ruleset.rules[${i}]`, 'needs text, packets, conditions and target');
    }
  });
  for (const key of ['conntrack', 'routes', 'neighbours', 'gaps']) if (!Array.isArray(s[key])) fail(file, `${where}.${key}`, 'not an array');
  if (!isObject(s.sysctls)) fail(file, `${where}.sysctls`, 'not an object');
}

/** Parses host.json text; every problem names the file and the field where it is. */
export function parseHostFile(text: string, file: string): HostEvidence {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    fail(file, 'JSON', jsonProblem((err as Error).message));
  }
  if (!isObject(value) || value.format !== HOST_FILE_FORMAT) fail(file, 'format', `not a ${HOST_FILE_FORMAT} file`);
  if (value.version !== HOST_FILE_VERSION) fail(file, 'version', `${String(value.version)} is not supported (this hoptrace reads ${HOST_FILE_VERSION})`);
  if (!Array.isArray(value.namespaces)) fail(file, 'namespaces', 'not an array');
  value.namespaces.forEach((n: unknown, i: number) => {
    if (!isObject(n) || typeof n.role !== 'string') fail(file, `namespaces[${i}].role`, 'not a string');
    checkSnapshot(file, `namespaces[${i}].before`, n.before);
    checkSnapshot(file, `namespaces[${i}].after`, n.after);
  });
  if (value.ruleTrace !== undefined && (!Array.isArray(value.ruleTrace) || !value.ruleTrace.every((e: unknown) => isObject(e) && typeof e.id === 'string' && typeof e.kind === 'string' && typeof e.text === 'string'))) {
    fail(file, 'ruleTrace', 'needs an array of trace events (id, kind, text)');
  }
  return value as unknown as HostEvidence;
}

/** V8 quotes the text around a JSON error ("root:x:0:0..."): only the kind and position are kept, so no file's bytes are echoed. */
function jsonProblem(message: string): string {
  if (message.startsWith('Unexpected token')) return 'unexpected character';
  return message.replace(/"[^]*$/, '').replace(/[,\s]+$/, '') || 'not valid JSON';
}

/** Reads host.json: a FIFO, a device or a file past HOST_FILE_LIMIT is refused before it is read. */
export function readHostFile(path: string): HostEvidence {
  let text: string;
  try {
    const { fd, size } = openRegularFile(path);
    try {
      if (size > HOST_FILE_LIMIT) throw new RefusedFile(`${size} bytes, more than the limit of ${HOST_FILE_LIMIT}`);
      const buf = Buffer.alloc(size);
      let got = 0;
      for (let n = -1; n !== 0 && got < size; got += n) n = readSync(fd, buf, got, size - got, got);
      text = buf.subarray(0, got).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw new FatalError(`${path}: cannot read: ${err instanceof RefusedFile ? err.why : ((err as NodeJS.ErrnoException).code ?? (err as Error).message)}`, ExitCode.BAD_INPUT);
  }
  return parseHostFile(text, path);
}
