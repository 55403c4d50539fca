import { readFileSync } from 'node:fs';
import { ExitCode, FatalError } from '../../errors.js';

/** Capability bits (linux/capability.h) and why hoptrace needs each. */
const NEEDED = [
  { bit: 13, name: 'CAP_NET_RAW', why: 'open packet captures' },
  { bit: 12, name: 'CAP_NET_ADMIN', why: 'capture in promiscuous mode and read the nat table' },
  { bit: 21, name: 'CAP_SYS_ADMIN', why: "enter the container's network namespace" },
] as const;

/** The effective capability set of this process, from /proc/self/status. */
export function effectiveCapabilities(status = readFileSync('/proc/self/status', 'utf8')): bigint {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return hex ? BigInt(`0x${hex}`) : 0n;
}

export function missingCapabilities(capEff: bigint): string[] {
  return NEEDED.filter((c) => ((capEff >> BigInt(c.bit)) & 1n) === 0n).map((c) => c.name);
}

/** Refuses early and in one line, naming what is missing and how to run instead. */
export function requireCaptureRights(commandLine: string, capEff = effectiveCapabilities()): void {
  const missing = missingCapabilities(capEff);
  if (missing.length === 0) return;
  const whys = NEEDED.filter((c) => missing.includes(c.name)).map((c) => `${c.name} (${c.why})`);
  const who = process.getuid?.() === 0 ? 'root without' : 'not root: missing';
  throw new FatalError(`${who} ${whys.join(', ')}: run as root: sudo ${commandLine}`, ExitCode.NO_PRIVILEGE);
}
