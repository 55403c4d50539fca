// One hop of path.json, checked field by field: each problem is one line naming the field.
import { isIP } from 'node:net';
import { ExitCode, FatalError } from '../../errors.js';
import type { Hop, HopRole } from '../../model.js';
import { MAX_HOP_ADDRESSES, MAX_MTU, MAX_NAME_LENGTH, MAX_TEXT_LENGTH } from './limits.js';
import { hasUnprintable, quoted } from './printable.js';

const ROLES: readonly HopRole[] = ['container', 'veth', 'bridge', 'uplink', 'host', 'tunnel', 'other'];

// Unknown fields are ignored on purpose: a newer --record may add some, and an older
// hoptrace should still replay what it understands.
export function validateHop(file: string, at: string, entry: unknown): Hop {
  if (!isObject(entry)) throw bad(`${file}: ${at}: must be an object with "file" and "name" (and optionally "role")`);
  // The README promises roles are optional: a hop without one is "other", as a capture file named alone is.
  const role = entry.role === undefined ? 'other' : text(file, `${at}.role`, entry.role);
  if (!ROLES.includes(role as HopRole)) {
    throw bad(`${file}: ${at}.role: must be one of ${ROLES.join(', ')} (got ${quoted(role)})`);
  }
  const hop: Hop = {
    file: text(file, `${at}.file`, entry.file),
    name: text(file, `${at}.name`, entry.name, MAX_NAME_LENGTH),
    role: role as HopRole,
    addrs: addresses(file, `${at}.addrs`, entry.addrs),
  };
  if (entry.netns !== undefined) hop.netns = text(file, `${at}.netns`, entry.netns);
  if (entry.iface !== undefined) hop.iface = text(file, `${at}.iface`, entry.iface, MAX_NAME_LENGTH);
  if (entry.host !== undefined) hop.host = text(file, `${at}.host`, entry.host, MAX_NAME_LENGTH);
  if (entry.clockUncertaintyUs !== undefined) {
    const u = entry.clockUncertaintyUs;
    if (typeof u !== 'number' || !Number.isFinite(u) || u < 0 || u > 3.6e9) {
      throw bad(`${file}: ${at}.clockUncertaintyUs: must be microseconds from 0 to 3600000000 (got ${quoted(u)})`);
    }
    hop.clockUncertaintyUs = u;
  }
  if (entry.mtu !== undefined) {
    if (!Number.isInteger(entry.mtu) || (entry.mtu as number) <= 0 || (entry.mtu as number) > MAX_MTU) {
      throw bad(`${file}: ${at}.mtu: must be a whole number from 1 to ${MAX_MTU} (got ${quoted(entry.mtu)})`);
    }
    hop.mtu = entry.mtu as number;
  }
  return hop;
}

/**
 * A non-empty string of printable characters: names and descriptions are shown on one-line
 * output, where a newline would split an error line and an escape sequence would drive the
 * terminal.
 */
export function text(file: string, at: string, value: unknown, max = MAX_TEXT_LENGTH): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw bad(`${file}: ${at}: must be a non-empty string (got ${quoted(value)})`);
  }
  if (value.length > max) throw bad(`${file}: ${at}: must be at most ${max} characters (got ${quoted(value, 40)})`);
  if (hasUnprintable(value)) throw bad(`${file}: ${at}: must not contain control characters (got ${quoted(value)})`);
  return value;
}

function addresses(file: string, at: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw bad(`${file}: ${at}: must be an array of IP addresses`);
  if (value.length > MAX_HOP_ADDRESSES) throw bad(`${file}: ${at}: ${value.length} addresses, more than the limit of ${MAX_HOP_ADDRESSES}`);
  return value.map((addr: unknown, i: number) => {
    if (typeof addr !== 'string' || !isAddress(addr)) {
      throw bad(`${file}: ${at}[${i}]: not an IPv4 or IPv6 address, with or without a /prefix (got ${quoted(addr)})`);
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
  return /^\d{1,3}$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bad(message: string): FatalError {
  return new FatalError(message, ExitCode.BAD_INPUT);
}
