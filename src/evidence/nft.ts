// Reads rules written in nftables directly: `nft -j list ruleset` for values (counters,
// handles, hooks, policies) and `nft -a list ruleset` for each rule's text. Tables that
// iptables-nft manages are left out: iptables-save already gave them, in iptables' words.
import type { Chain, Condition, Family, Hook, Rule, Target } from './types.js';
import { protocolNumber } from './iptables.js';

type Json = Record<string, unknown>;
const ICMP_TYPES: Record<string, number> = {
  'echo-reply': 0, 'destination-unreachable': 3, 'echo-request': 8, 'time-exceeded': 11,
};

/** (family table) pairs nft says iptables-nft manages, and each rule's text by family/table/chain/handle. */
export function parseNftText(text: string): { managed: Set<string>; ruleText: Map<string, string> } {
  const managed = new Set<string>();
  const ruleText = new Map<string, string>();
  let table = '';
  let chain = '';
  for (const line of text.split('\n')) {
    const warn = /^# Warning: table (\S+ \S+) is managed by iptables-nft/.exec(line);
    if (warn) managed.add(warn[1] as string);
    const t = /^table (\S+ \S+) \{/.exec(line);
    if (t) table = t[1] as string;
    const c = /^\s+chain (\S+) \{/.exec(line);
    if (c) chain = c[1] as string;
    const r = /^\s+(.*\S)\s+# handle (\d+)$/.exec(line);
    // The counter's values are evidence elsewhere; in the rule's text they would only date it.
    if (r && !c && !t) ruleText.set(`${table}/${chain}/${r[2]}`, (r[1] as string).trim().replace(/counter packets \d+ bytes \d+/, 'counter'));
  }
  return { managed, ruleText };
}

function familiesOf(nftFamily: string): Family[] {
  if (nftFamily === 'ip') return [4];
  if (nftFamily === 'ip6') return [6];
  if (nftFamily === 'inet') return [4, 6];
  return [];
}

function rightValue(right: unknown): { prefix?: string; values: (string | number)[]; range?: [number, number] } {
  if (right && typeof right === 'object' && !Array.isArray(right)) {
    const r = right as Json;
    const prefix = r.prefix as Json | undefined;
    if (prefix) return { prefix: `${String(prefix.addr)}/${String(prefix.len)}`, values: [] };
    if (Array.isArray(r.range)) return { values: [], range: [Number(r.range[0]), Number(r.range[1])] };
    if (r.set) return rightValue(r.set);
  }
  if (Array.isArray(right)) return { values: right.filter((v) => typeof v === 'string' || typeof v === 'number') as (string | number)[] };
  return { values: typeof right === 'string' || typeof right === 'number' ? [right] : [] };
}

function matchCondition(m: Json): Condition[] {
  const neg = m.op === '!=';
  const left = (m.left ?? {}) as Json;
  const right = rightValue(m.right);
  const one = right.values.length === 1 ? right.values[0] : undefined;
  const unknown: Condition[] = [{ field: 'unknown', text: JSON.stringify(m) }];
  const meta = (left.meta as Json | undefined)?.key;
  if (meta === 'iifname' || meta === 'oifname') {
    return one === undefined ? unknown : [{ field: meta === 'iifname' ? 'iif' : 'oif', neg, name: String(one).replace(/\*$/, '+') }];
  }
  if (meta === 'l4proto' || (left.payload as Json | undefined)?.field === 'protocol' || (left.payload as Json | undefined)?.field === 'nexthdr') {
    const proto = one === undefined ? undefined : typeof one === 'number' ? one : protocolNumber(one);
    return proto === undefined ? unknown : [{ field: 'proto', neg, proto }];
  }
  const ct = (left.ct as Json | undefined)?.key;
  if (ct === 'state') return [{ field: 'ctstate', neg, states: right.values.map((v) => String(v).toUpperCase()) }];
  const payload = left.payload as Json | undefined;
  if (!payload) return unknown;
  const { protocol, field } = payload as { protocol?: string; field?: string };
  if (field === 'saddr' || field === 'daddr') {
    const prefix = right.prefix ?? (one === undefined ? undefined : String(one));
    return prefix === undefined ? unknown : [{ field, neg, prefix }];
  }
  if (field === 'sport' || field === 'dport') {
    const range = right.range ?? (typeof one === 'number' ? [one, one] as [number, number] : undefined);
    if (!range) return unknown;
    const port: Condition = { field, neg, from: range[0], to: range[1] };
    const proto = protocol && protocol !== 'th' ? protocolNumber(protocol) : undefined;
    return proto === undefined ? [port] : [{ field: 'proto', neg: false, proto }, port];
  }
  if (field === 'type' && (protocol === 'icmp' || protocol === 'icmpv6')) {
    const type = typeof one === 'number' ? one : ICMP_TYPES[String(one)];
    return type === undefined ? unknown : [{ field: 'proto', neg: false, proto: protocol === 'icmp' ? 1 : 58 }, { field: 'icmptype', neg, type }];
  }
  return unknown;
}

function verdictOf(e: Json): Target | undefined {
  if ('accept' in e) return { kind: 'accept' };
  if ('drop' in e) return { kind: 'drop' };
  if ('return' in e) return { kind: 'return' };
  if ('masquerade' in e) return { kind: 'masquerade' };
  if ('jump' in e) return { kind: 'jump', chain: String((e.jump as Json).target) };
  if ('goto' in e) return { kind: 'goto', chain: String((e.goto as Json).target) };
  if ('reject' in e) {
    const r = (e.reject ?? {}) as Json;
    const type = r.type === 'tcp reset' ? 'tcp-reset' : String(r.expr ?? 'port-unreachable');
    return { kind: 'reject', with: type };
  }
  if ('snat' in e || 'dnat' in e) {
    const nat = (e.snat ?? e.dnat) as Json;
    const to = `${String(nat.addr ?? '')}${nat.port !== undefined ? `:${String(nat.port)}` : ''}`;
    return { kind: 'snat' in e ? 'snat' : 'dnat', to };
  }
  return undefined;
}

function ruleFrom(r: Json, family: Family, text: string | undefined): Rule {
  const conditions: Condition[] = [];
  let target: Target = { kind: 'none' };
  let packets = 0;
  let bytes = 0;
  for (const e of (r.expr ?? []) as Json[]) {
    if (e.match) conditions.push(...matchCondition(e.match as Json));
    else if (e.counter) {
      packets = Number((e.counter as Json).packets ?? 0);
      bytes = Number((e.counter as Json).bytes ?? 0);
    } else {
      const verdict = verdictOf(e);
      if (verdict) target = verdict;
      else if (!('log' in e)) conditions.push({ field: 'unknown', text: JSON.stringify(e) });
    }
  }
  const handle = Number(r.handle);
  return {
    source: 'nft', family, table: String(r.table), chain: String(r.chain), id: handle, handle,
    text: text ?? JSON.stringify(r.expr), packets, bytes, conditions, target,
  };
}

function chainFrom(c: Json, family: Family): Chain {
  const chain: Chain = { source: 'nft', family, table: String(c.table), name: String(c.name) };
  if (typeof c.hook === 'string') {
    chain.hook = c.hook as Hook;
    chain.priority = Number(c.prio ?? 0);
    chain.type = String(c.type ?? 'filter');
    chain.policy = c.policy === 'drop' ? 'drop' : 'accept';
  }
  return chain;
}

/** The native nftables rules and chains of one `nft -j list ruleset` (+ its `-a` text). */
export function parseNftRuleset(json: string, text: string, alsoManaged: Set<string> = new Set()): { chains: Chain[]; rules: Rule[] } {
  const { managed, ruleText } = parseNftText(text);
  for (const t of alsoManaged) managed.add(t);
  const items = ((JSON.parse(json) as Json).nftables ?? []) as Json[];
  const chains: Chain[] = [];
  const rules: Rule[] = [];
  for (const item of items) {
    const obj = (item.chain ?? item.rule) as Json | undefined;
    if (!obj) continue;
    const key = `${String(obj.family)} ${String(obj.table)}`;
    if (managed.has(key)) continue;
    for (const family of familiesOf(String(obj.family))) {
      if (item.chain) chains.push(chainFrom(obj, family));
      else rules.push(ruleFrom(obj, family, ruleText.get(`${key}/${String(obj.chain)}/${String(obj.handle)}`)));
    }
  }
  return { chains, rules };
}

/** Handles of every rule, in order, by "family table chain": iptables-nft's rules get theirs by position. */
export function handlesByChain(json: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const item of ((JSON.parse(json) as Json).nftables ?? []) as Json[]) {
    const r = item.rule as Json | undefined;
    if (!r) continue;
    const key = `${String(r.family)} ${String(r.table)} ${String(r.chain)}`;
    out.set(key, [...(out.get(key) ?? []), Number(r.handle)]);
  }
  return out;
}
