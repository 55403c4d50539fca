// path.json: the description of a trace directory, written by `--record` and by hand.
// Every problem is reported as one line naming path.json and the field.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { ExitCode, FatalError } from '../../errors.js';
import type { Hop, HopRole } from '../../model.js';

export interface PathDescription {
  description?: string;
  /** When the captures were stopped, in seconds since the epoch (written by --record). */
  stoppedAt?: number;
  /** Hops in path order, with `file` resolved against the directory. */
  hops: Hop[];
}

const ROLES: readonly HopRole[] = ['container', 'veth', 'bridge', 'uplink', 'host', 'tunnel', 'other'];

export function readPathJson(dir: string): PathDescription {
  const file = join(dir, 'path.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw bad(`${dir}: not a trace directory (it has no path.json)`);
    throw bad(`${file}: cannot read: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw bad(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  return validate(file, dir, parsed);
}

function validate(file: string, dir: string, doc: unknown): PathDescription {
  if (!isObject(doc)) throw bad(`${file}: must be a JSON object with "hops"`);
  const result: PathDescription = { hops: [] };
  if (doc.description !== undefined) result.description = text(file, 'description', doc.description);
  if (doc.stoppedAt !== undefined) {
    if (typeof doc.stoppedAt !== 'number' || !Number.isFinite(doc.stoppedAt) || doc.stoppedAt < 0) {
      throw bad(`${file}: stoppedAt: must be seconds since the epoch (got ${JSON.stringify(doc.stoppedAt)})`);
    }
    result.stoppedAt = doc.stoppedAt;
  }
  if (!Array.isArray(doc.hops) || doc.hops.length === 0) {
    throw bad(`${file}: hops: must be a non-empty array of hops, in path order`);
  }
  const names = new Set<string>();
  doc.hops.forEach((entry: unknown, i: number) => {
    const hop = validateHop(file, `hops[${i}]`, entry);
    if (names.has(hop.name)) throw bad(`${file}: hops[${i}].name: "${hop.name}" names two hops`);
    names.add(hop.name);
    hop.file = join(dir, hop.file ?? '');
    result.hops.push(hop);
  });
  return result;
}

// Unknown fields are ignored on purpose: a newer --record may add some, and an older
// hoptrace should still replay what it understands.
function validateHop(file: string, at: string, entry: unknown): Hop {
  if (!isObject(entry)) throw bad(`${file}: ${at}: must be an object with "file", "name" and "role"`);
  const role = text(file, `${at}.role`, entry.role);
  if (!ROLES.includes(role as HopRole)) {
    throw bad(`${file}: ${at}.role: must be one of ${ROLES.join(', ')} (got "${role}")`);
  }
  const hop: Hop = {
    file: text(file, `${at}.file`, entry.file),
    name: text(file, `${at}.name`, entry.name),
    role: role as HopRole,
    addrs: addresses(file, `${at}.addrs`, entry.addrs),
  };
  if (entry.netns !== undefined) hop.netns = text(file, `${at}.netns`, entry.netns);
  if (entry.iface !== undefined) hop.iface = text(file, `${at}.iface`, entry.iface);
  if (entry.mtu !== undefined) {
    if (!Number.isInteger(entry.mtu) || (entry.mtu as number) <= 0) {
      throw bad(`${file}: ${at}.mtu: must be a positive whole number (got ${JSON.stringify(entry.mtu)})`);
    }
    hop.mtu = entry.mtu as number;
  }
  return hop;
}

function text(file: string, at: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw bad(`${file}: ${at}: must be a non-empty string (got ${JSON.stringify(value) ?? 'nothing'})`);
  }
  return value;
}

function addresses(file: string, at: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw bad(`${file}: ${at}: must be an array of IP addresses`);
  return value.map((addr: unknown, i: number) => {
    if (typeof addr !== 'string' || !isAddress(addr)) {
      throw bad(`${file}: ${at}[${i}]: not an IPv4 or IPv6 address, with or without a /prefix (got ${JSON.stringify(addr)})`);
    }
    return addr;
  });
}

/** "198.18.0.1" or "198.18.0.1/24": the prefix tells the bridge subnet. */
function isAddress(text: string): boolean {
  const [addr, prefix, extra] = text.split('/');
  const family = isIP(addr);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bad(message: string): FatalError {
  return new FatalError(message, ExitCode.BAD_INPUT);
}
