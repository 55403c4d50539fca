// Conntrack entries from `conntrack -L -o extended` or /proc/net/nf_conntrack (same line
// format: "ipv4 2 icmp 1 29 src=.. dst=.. type=8 code=0 id=6 src=.. dst=.. ... mark=0 use=1").
import type { CtEntry, CtTuple, Family } from './types.js';

const TUPLE_KEYS = new Set(['src', 'dst', 'sport', 'dport', 'id', 'type', 'code']);

function tupleFrom(pairs: [string, string][]): CtTuple {
  const t: CtTuple = { src: '', dst: '' };
  for (const [k, v] of pairs) {
    if (k === 'src' || k === 'dst') t[k] = v;
    else if (k === 'sport' || k === 'dport' || k === 'id' || k === 'type' || k === 'code') t[k] = Number(v);
  }
  return t;
}

/** One line, or undefined when it is not an entry (the "N flow entries" summary, blank lines). */
export function parseConntrackLine(line: string): CtEntry | undefined {
  const words = line.trim().split(/\s+/);
  if (words[0] !== 'ipv4' && words[0] !== 'ipv6') return undefined;
  const family: Family = words[0] === 'ipv4' ? 4 : 6;
  const proto = Number(words[3]);
  if (!Number.isInteger(proto)) return undefined;
  const tuples: [string, string][][] = [];
  let state: string | undefined;
  for (const w of words.slice(5)) {
    const eq = w.indexOf('=');
    if (eq < 0) {
      if (/^[A-Z_]+$/.test(w) && tuples.length === 0) state = w;
      continue;
    }
    const key = w.slice(0, eq);
    if (!TUPLE_KEYS.has(key)) continue;
    if (key === 'src') tuples.push([]);
    tuples[tuples.length - 1]?.push([key, w.slice(eq + 1)]);
  }
  if (tuples.length < 2) return undefined;
  return {
    family, proto, original: tupleFrom(tuples[0] as [string, string][]), reply: tupleFrom(tuples[1] as [string, string][]),
    ...(state ? { state } : {}),
    unreplied: line.includes('[UNREPLIED]'), assured: line.includes('[ASSURED]'), text: line.trim(),
  };
}

export function parseConntrack(text: string): CtEntry[] {
  return text.split('\n').map(parseConntrackLine).filter((e): e is CtEntry => e !== undefined);
}
