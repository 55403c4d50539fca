import { inCidr } from '../addresses.js';
import { runIn, type Netns } from './netns.js';
import { snatCovers } from './snat.js';

/** The nat-table rules that concern the traced container, verbatim as iptables-save prints them. */
export interface NatRules {
  rules: string[];
  /** Why the table could not be read, if it could not. */
  problem?: string;
  /** For traffic that leaves the host (by `out`): whether a MASQUERADE/SNAT rule covers each subnet. Absent when nothing leaves. */
  snat?: { out: string; uncovered: string[] };
}

/**
 * Keeps the rules that name the container's address, its subnet, its bridge, or that
 * DNAT to it; the rest of a busy host's nat table is noise for this path.
 */
export function filterNatRules(iptablesSave: string, subject: { addrs: string[]; subnets: string[]; bridge?: string }): string[] {
  return iptablesSave
    .split('\n')
    .filter((line) => line.startsWith('-A '))
    .filter((line) => ruleConcerns(line, subject));
}

function ruleConcerns(line: string, subject: { addrs: string[]; subnets: string[]; bridge?: string }): boolean {
  const words = line.split(/\s+/);
  if (subject.bridge && words.some((w, i) => (w === '-i' || w === '-o') && words[i + 1] === subject.bridge)) return true;
  for (let i = 0; i < words.length - 1; i++) {
    const flag = words[i];
    if (flag !== '-s' && flag !== '-d' && flag !== '--to-destination' && flag !== '--to-source') continue;
    const value = (words[i + 1] ?? '').replace(/:\d+(-\d+)?$/, '');
    if (subject.subnets.includes(value) || subject.addrs.some((a) => value === a || value === `${a}/32`)) return true;
    if (!value.includes('/') && subject.subnets.some((s) => inCidr(value, s))) return true;
    if (value.endsWith('/32') && subject.subnets.some((s) => inCidr(value.slice(0, -3), s))) return true;
  }
  return false;
}

export async function readNatRules(
  ns: Netns,
  subject: { addrs: string[]; subnets: string[]; bridge?: string; out?: string },
): Promise<NatRules> {
  const result = await runIn(ns, 'iptables-save', ['-t', 'nat']);
  if (result.code !== 0) {
    return { rules: [], problem: `iptables-save -t nat failed: ${result.stderr.trim().split('\n')[0] ?? ''}` };
  }
  const rules = filterNatRules(result.stdout, subject);
  const out = subject.out;
  if (out === undefined) return { rules };
  const sources = subject.subnets.length > 0 ? subject.subnets : subject.addrs.map((a) => `${a}/32`);
  return { rules, snat: { out, uncovered: sources.filter((s) => !snatCovers(result.stdout, s, out)) } };
}
