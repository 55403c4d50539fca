import { inCidr, ipv4Value } from '../addresses.js';
import { runIn, type Netns } from './netns.js';
import { snatCovers } from './snat.js';

/** The nat-table rules that concern the traced container, verbatim as iptables-save prints them. */
export interface NatRules {
  /** IPv4 rules (iptables-save), then IPv6 ones (ip6tables-save). */
  rules: string[];
  /** Why a table could not be read, if it could not. */
  problem?: string;
  /** For traffic that leaves the host (by `out`): whether a MASQUERADE/SNAT rule covers each subnet. Absent when nothing leaves. */
  snat?: { out: string; uncovered: string[] };
}

export interface NatSubject {
  addrs: string[];
  subnets: string[];
  bridge?: string;
}

/**
 * Keeps the rules that name the container's address, its subnet, its bridge, or that
 * DNAT to it; the rest of a busy host's nat table is noise for this path.
 */
export function filterNatRules(iptablesSave: string, subject: NatSubject): string[] {
  return iptablesSave
    .split('\n')
    .filter((line) => line.startsWith('-A '))
    .filter((line) => ruleConcerns(line, subject));
}

/** "198.18.0.2:80" -> "198.18.0.2", "[fd00::2]:80" -> "fd00::2"; an IPv6 address keeps its last group. */
function withoutPort(value: string): string {
  const bracketed = /^\[([^\]]+)\](:\d+(-\d+)?)?$/.exec(value);
  if (bracketed) return bracketed[1]!;
  const v4 = /^([\d.]+(?:\/\d+)?):\d+(-\d+)?$/.exec(value);
  return v4 && ipv4Value(v4[1]!.split('/')[0]!) !== undefined ? v4[1]! : value;
}

function ruleConcerns(line: string, subject: NatSubject): boolean {
  const words = line.split(/\s+/);
  if (subject.bridge && words.some((w, i) => (w === '-i' || w === '-o') && words[i + 1] === subject.bridge)) return true;
  for (let i = 0; i < words.length - 1; i++) {
    const flag = words[i];
    if (flag !== '-s' && flag !== '-d' && flag !== '--to-destination' && flag !== '--to-source') continue;
    const value = withoutPort(words[i + 1] ?? '');
    const [addr, len] = value.split('/');
    const single = len === undefined || len === '32' || len === '128';
    if (subject.subnets.includes(value) || subject.addrs.includes(addr!) && single) return true;
    if (single && subject.subnets.some((s) => inCidr(addr!, s))) return true;
  }
  return false;
}

/**
 * The nat rules of both families; a table that cannot be read is said, the other still shown.
 * With `out` (the uplink the traffic leaves by), also which of the subnets no MASQUERADE/SNAT
 * rule covers there.
 */
export async function readNatRules(ns: Netns, subject: NatSubject & { out?: string }): Promise<NatRules> {
  const rules: string[] = [];
  const problems: string[] = [];
  const uncovered: string[] = [];
  const out = subject.out;
  const sources = subject.subnets.length > 0 ? subject.subnets : subject.addrs.map((a) => `${a}/${a.includes(':') ? 128 : 32}`);
  const wantV6 = [...subject.addrs, ...subject.subnets].some((a) => a.includes(':'));
  for (const tool of wantV6 ? ['iptables-save', 'ip6tables-save'] : ['iptables-save']) {
    const result = await runIn(ns, tool, ['-t', 'nat']);
    if (result.code !== 0) {
      problems.push(`${tool} -t nat failed: ${result.stderr.trim().split('\n')[0] ?? ''}`);
      continue;
    }
    rules.push(...filterNatRules(result.stdout, subject));
    const family = sources.filter((s) => s.includes(':') === (tool === 'ip6tables-save'));
    if (out !== undefined) uncovered.push(...family.filter((s) => !snatCovers(result.stdout, s, out)));
  }
  const snat = out === undefined || problems.length > 0 ? {} : { snat: { out, uncovered } };
  return problems.length > 0 ? { rules, problem: problems.join('; ') } : { rules, ...snat };
}
