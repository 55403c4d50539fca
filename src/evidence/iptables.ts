// Parses `iptables-save -c` / `ip6tables-save -c` (either backend) into rules and chains.
// Only what attribution needs is read as values; any other match is kept as an `unknown`
// condition with its text, so a rule is never taken to fit for a reason we did not read.
import type { Chain, Condition, Family, Hook, Rule, RuleSource, Target } from './types.js';
import { maskToLength } from './prefix.js';

const PROTOCOLS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, 'ipv6-icmp': 58, icmpv6: 58, sctp: 132, gre: 47, esp: 50 };
const BUILTIN_HOOKS: Record<string, Hook> = {
  PREROUTING: 'prerouting', INPUT: 'input', FORWARD: 'forward', OUTPUT: 'output', POSTROUTING: 'postrouting',
};
/** Netfilter's fixed priorities of the iptables tables (NF_IP_PRI_*). */
const TABLE_PRIORITY: Record<string, number> = { raw: -300, mangle: -150, nat: -100, filter: 0, security: 50 };

/** Splits an iptables-save line into words; double-quoted words (comments) stay whole. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] !== undefined ? m[1] : (m[2] as string));
  return words;
}

export function protocolNumber(name: string): number | undefined {
  if (/^\d+$/.test(name)) return Number(name);
  return PROTOCOLS[name.toLowerCase()];
}

function prefixOf(text: string): string {
  const [addr, mask] = text.split('/');
  if (mask === undefined) return addr as string;
  const len = maskToLength(mask);
  return len === undefined ? text : `${addr}/${len}`;
}

function portRange(text: string): { from: number; to: number } | undefined {
  const m = /^(\d+)(?::(\d+))?$/.exec(text);
  if (!m) return undefined;
  return { from: Number(m[1]), to: Number(m[2] ?? m[1]) };
}

interface Parsed {
  conditions: Condition[];
  target: Target;
}

/** Reads the words after "-A CHAIN" into conditions and a target. */
export function parseRuleWords(words: string[]): Parsed {
  const conditions: Condition[] = [];
  let target: Target = { kind: 'none' };
  let neg = false;
  let module = '';
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    const arg = (): string => words[++i] ?? '';
    if (w === '!') { neg = true; continue; }
    if (w === '-s' || w === '--source') conditions.push({ field: 'saddr', neg, prefix: prefixOf(arg()) });
    else if (w === '-d' || w === '--destination') conditions.push({ field: 'daddr', neg, prefix: prefixOf(arg()) });
    else if (w === '-i' || w === '--in-interface') conditions.push({ field: 'iif', neg, name: arg() });
    else if (w === '-o' || w === '--out-interface') conditions.push({ field: 'oif', neg, name: arg() });
    else if (w === '-p' || w === '--protocol') {
      const p = arg();
      const proto = protocolNumber(p);
      if (p !== 'all') conditions.push(proto === undefined ? { field: 'unknown', text: `-p ${p}` } : { field: 'proto', neg, proto });
    } else if (w === '-m' || w === '--match') module = arg();
    else if (w === '--dport' || w === '--destination-port' || w === '--sport' || w === '--source-port') {
      const text = arg();
      const range = portRange(text);
      const field = w === '--dport' || w === '--destination-port' ? 'dport' : 'sport';
      conditions.push(range ? { field, neg, ...range } : { field: 'unknown', text: `${w} ${text}` });
    } else if ((w === '--ctstate' && module === 'conntrack') || (w === '--state' && module === 'state')) {
      conditions.push({ field: 'ctstate', neg, states: arg().split(',') });
    } else if (w === '--icmp-type' || w === '--icmpv6-type') {
      const text = arg();
      const type = /^\d+/.exec(text);
      conditions.push(type ? { field: 'icmptype', neg, type: Number(type[0]) } : { field: 'unknown', text: `${w} ${text}` });
    } else if (w === '-j' || w === '--jump' || w === '-g' || w === '--goto') {
      const rest = words.slice(i + 1);
      target = parseTarget(w.startsWith('-g') || w === '--goto', arg(), rest.slice(1));
      break;
    } else if (w === '--comment') arg();
    else if (w.startsWith('-') && module !== '' && !['tcp', 'udp', 'icmp', 'icmp6', 'comment', 'conntrack', 'state'].includes(module)) {
      // A match module we do not model (addrtype, set, mark, ...): the rule's fit is unknown.
      const value = words[i + 1] !== undefined && !words[i + 1]?.startsWith('-') ? ` ${arg()}` : '';
      conditions.push({ field: 'unknown', text: `${neg ? '! ' : ''}-m ${module} ${w}${value}` });
    } else if (w.startsWith('-') && !['--syn', '--tcp-flags'].includes(w)) {
      conditions.push({ field: 'unknown', text: w });
    } else if (w === '--syn' || w === '--tcp-flags') {
      if (w === '--tcp-flags') i += 2;
      conditions.push({ field: 'unknown', text: w });
    }
    neg = false;
  }
  return { conditions, target };
}

function parseTarget(isGoto: boolean, name: string, rest: string[]): Target {
  const option = (opt: string): string | undefined => {
    const i = rest.indexOf(opt);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  switch (name) {
    case 'ACCEPT': return { kind: 'accept' };
    case 'DROP': return { kind: 'drop' };
    case 'RETURN': return { kind: 'return' };
    case 'MASQUERADE': return { kind: 'masquerade' };
    case 'REJECT': return { kind: 'reject', with: option('--reject-with') ?? 'icmp-port-unreachable' };
    case 'SNAT': return { kind: 'snat', to: option('--to-source') ?? '' };
    case 'DNAT': return { kind: 'dnat', to: option('--to-destination') ?? '' };
    default:
      if (/^[A-Z0-9_]+$/.test(name) && ['LOG', 'MARK', 'CONNMARK', 'TRACE', 'NFLOG', 'CT', 'NOTRACK', 'TCPMSS', 'CHECKSUM', 'REDIRECT'].includes(name)) {
        return { kind: 'other', name };
      }
      return { kind: isGoto ? 'goto' : 'jump', chain: name };
  }
}

function chainLine(line: string, source: RuleSource, family: Family, table: string): Chain | undefined {
  const m = /^:(\S+) (\S+)(?: \[(\d+):(\d+)\])?/.exec(line);
  if (!m) return undefined;
  const name = m[1] as string;
  const chain: Chain = { source, family, table, name };
  const hook = BUILTIN_HOOKS[name];
  if (m[2] !== '-' && hook) {
    chain.hook = hook;
    chain.priority = TABLE_PRIORITY[table] ?? 0;
    chain.type = table;
    chain.policy = m[2] === 'DROP' ? 'drop' : 'accept';
    if (m[3] !== undefined) chain.policyPackets = Number(m[3]);
  }
  return chain;
}

/** Parses one `*-save -c` output. Lines it does not know are ignored (comments, COMMIT). */
export function parseIptablesSave(text: string, source: RuleSource, family: Family): { chains: Chain[]; rules: Rule[] } {
  const chains: Chain[] = [];
  const rules: Rule[] = [];
  const positions = new Map<string, number>();
  let table = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith(':')) {
      const chain = chainLine(line, source, family, table);
      if (chain) chains.push(chain);
    } else {
      const m = /^(?:\[(\d+):(\d+)\] )?(-A (\S+) ?.*)$/.exec(line);
      if (!m) continue;
      const chain = m[4] as string;
      const key = `${table}/${chain}`;
      const id = (positions.get(key) ?? 0) + 1;
      positions.set(key, id);
      const words = splitWords(m[3] as string).slice(2);
      rules.push({
        source, family, table, chain, id, text: m[3] as string,
        packets: Number(m[1] ?? 0), bytes: Number(m[2] ?? 0), ...parseRuleWords(words),
      });
    }
  }
  return { chains, rules };
}
