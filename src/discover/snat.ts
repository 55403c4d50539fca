import { inCidr } from '../addresses.js';

// Whether traffic from a subnet leaving by an interface is source-NATed: read from the nat
// table's POSTROUTING chain in order, as the kernel walks it.

interface PostroutingRule {
  source?: { cidr: string; negated: boolean };
  out?: { iface: string; negated: boolean };
  target: string;
}

function parseRule(line: string): PostroutingRule | undefined {
  const words = line.trim().split(/\s+/);
  if (words[0] !== '-A' || words[1] !== 'POSTROUTING') return undefined;
  const rule: PostroutingRule = { target: '' };
  for (let i = 2; i < words.length; i++) {
    const negated = words[i] === '!';
    const flag = negated ? words[++i] : words[i];
    const value = words[i + 1] ?? '';
    if (flag === '-s' || flag === '--source') rule.source = { cidr: value, negated };
    else if (flag === '-o' || flag === '--out-interface') rule.out = { iface: value, negated };
    else if (flag === '-j' || flag === '--jump') rule.target = value;
    else continue;
    i++;
  }
  return rule;
}

/** iptables interface names: a trailing + matches any name with that prefix. */
function ifaceMatches(pattern: string, iface: string): boolean {
  return pattern.endsWith('+') ? iface.startsWith(pattern.slice(0, -1)) : pattern === iface;
}

const prefixOf = (cidr: string) => Number(cidr.split('/')[1] ?? 32);

/** The rule's source match holds for every address of `subnet`. */
function coversSubnet(rule: PostroutingRule, subnet: string): boolean {
  if (!rule.source) return true;
  const net = subnet.split('/')[0] ?? subnet;
  const inside = inCidr(net, rule.source.cidr) && prefixOf(rule.source.cidr) <= prefixOf(subnet);
  return rule.source.negated ? !inCidr(net, rule.source.cidr) && !inCidr(rule.source.cidr.split('/')[0] ?? '', subnet) : inside;
}

function outMatches(rule: PostroutingRule, out: string): boolean {
  if (!rule.out) return true;
  return ifaceMatches(rule.out.iface, out) !== rule.out.negated;
}

/**
 * Whether the first POSTROUTING rule that takes all of `subnet`'s traffic leaving by `out`
 * rewrites its source (MASQUERADE, SNAT) rather than letting it through (RETURN, ACCEPT) or
 * falling off the chain.
 */
export function snatCovers(iptablesSave: string, subnet: string, out: string): boolean {
  for (const line of iptablesSave.split('\n')) {
    const rule = parseRule(line);
    if (!rule || !coversSubnet(rule, subnet) || !outMatches(rule, out)) continue;
    if (rule.target === 'MASQUERADE' || rule.target === 'SNAT') return true;
    if (rule.target === 'RETURN' || rule.target === 'ACCEPT') return false;
  }
  return false;
}
