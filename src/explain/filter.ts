import { isIP } from 'node:net';
import { familyOf as addressFamily, inPrefix, parsePrefix, type IpAddress } from '../addresses.js';
import { InputError } from '../errors.js';
import type { FlowReport } from '../model.js';

/**
 * A pcap-filter-like selection of flows. It is applied to whole flows, not packets, so that
 * `host 198.18.0.2` keeps a flow at every hop even after NAT rewrote the address: a flow
 * matches when any address or port it had at any hop matches. `src` means the initiator's
 * side, `dst` the responder's.
 */
export type FlowFilter = (flow: FlowReport) => boolean;

/** Deeper nesting than this is refused with an error instead of running out of stack. */
const MAX_DEPTH = 256;

interface Sides {
  addrs: [IpAddress[], IpAddress[]];
  ports: [Set<number>, Set<number>];
}

function sidesOf(flow: FlowReport): Sides {
  const sides: Sides = { addrs: [[], []], ports: [new Set(), new Set()] };
  [flow.initiator, flow.responder].forEach((endpoint, side) => {
    sides.addrs[side]!.push(endpoint.addr);
    if (endpoint.port !== undefined) sides.ports[side]!.add(endpoint.port);
  });
  for (const r of flow.rewrites) {
    // A request's source and a reply's destination are the initiator's side.
    const side = (r.field === 'src' || r.field === 'sport') === (r.direction === 'request') ? 0 : 1;
    if (r.field === 'src' || r.field === 'dst') sides.addrs[side].push(r.from, r.to);
    else if (r.field === 'sport' || r.field === 'dport') sides.ports[side].add(Number(r.from)).add(Number(r.to));
  }
  return sides;
}

/** The initiator's address family: what `ip` and `ip6` select. */
const familyOf = (s: Sides): number => (s.addrs[0][0] === undefined ? 0 : addressFamily(s.addrs[0][0]));

type Node = (flow: FlowReport, sides: Sides) => boolean;

const PROTOS: Record<string, (proto: string) => boolean> = {
  tcp: (p) => p === 'tcp',
  udp: (p) => p === 'udp',
  icmp: (p) => p === 'icmp',
  icmp6: (p) => p === 'icmpv6',
};

const OR = new Set(['or', '||']);
const AND = new Set(['and', '&&']);
const NOT = new Set(['not', '!']);

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(
    private readonly tokens: string[],
    private readonly text: string,
  ) {}

  parse(): Node {
    const node = this.or();
    if (this.pos < this.tokens.length) this.fail(`unexpected '${this.tokens[this.pos]}'`);
    return node;
  }

  private fail(problem: string): never {
    throw new InputError(`bad --filter '${this.text.length > 60 ? `${this.text.slice(0, 57)}...` : this.text}': ${problem}`);
  }

  private peek(): string | undefined {
    return this.tokens[this.pos];
  }

  private take(what: string): string {
    const token = this.tokens[this.pos++];
    if (token === undefined) this.fail(`it ends too early: ${what} expected`);
    return token;
  }

  /** Terms in a flat list, not a chain of closures: 14,000 `or`s must not overflow the stack. */
  private or(): Node {
    const terms = [this.and()];
    while (OR.has(this.peek() ?? '')) {
      this.pos++;
      terms.push(this.and());
    }
    return terms.length === 1 ? terms[0]! : (f, s) => terms.some((t) => t(f, s));
  }

  private and(): Node {
    const terms = [this.not()];
    for (let next = this.peek(); next !== undefined && !OR.has(next) && next !== ')'; next = this.peek()) {
      if (AND.has(next)) this.pos++;
      terms.push(this.not());
    }
    return terms.length === 1 ? terms[0]! : (f, s) => terms.every((t) => t(f, s));
  }

  /** `not not not ...` counted in a loop: only whether their number is odd matters. */
  private not(): Node {
    let negations = 0;
    while (NOT.has(this.peek() ?? '')) {
      this.pos++;
      negations++;
    }
    const inner = this.primary();
    return negations % 2 === 0 ? inner : (f, s) => !inner(f, s);
  }

  private primary(): Node {
    const token = this.take('a term');
    if (token === '(') return this.group();
    if (OR.has(token) || AND.has(token)) this.fail(`'${token}' needs a term on each side`);
    if (token === ')') this.fail("')' without '('");
    if (PROTOS[token]) return (f) => PROTOS[token]!(f.proto);
    if (token === 'ip') return (_f, s) => familyOf(s) === 4;
    if (token === 'ip6') return (_f, s) => familyOf(s) === 6;
    const side = token === 'src' ? 0 : token === 'dst' ? 1 : undefined;
    const kind = side === undefined ? token : this.take("'host', 'net' or 'port'");
    const which = side === undefined ? [0, 1] : [side];
    if (kind === 'host' || kind === 'net') return this.addressTest(kind, this.take(`an address after '${kind}'`), which);
    if (kind === 'port') return this.portTest(this.take("a port number after 'port'"), which);
    if (side === undefined && isIP(token)) return this.addressTest('host', token, which);
    this.fail(`unknown word '${kind}' (known: host, net, port, src, dst, tcp, udp, icmp, icmp6, ip, ip6, and, or, not, parentheses)`);
  }

  private group(): Node {
    if (++this.depth > MAX_DEPTH) this.fail(`parentheses nested more than ${MAX_DEPTH} deep`);
    const inner = this.or();
    if (this.take("')'") !== ')') this.fail("missing ')'");
    this.depth--;
    return inner;
  }

  private addressTest(kind: 'host' | 'net', value: string, which: number[]): Node {
    const [addr, prefixText] = kind === 'net' ? value.split('/') : [value];
    const family = isIP(addr ?? '');
    if (family === 0) this.fail(`'${value}' is not an IPv4 or IPv6 ${kind === 'net' ? 'network' : 'address'}`);
    const max = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
    if (!(prefix >= 0 && prefix <= max)) this.fail(`'${value}': the prefix length must be a number from 0 to ${max}`);
    const net = parsePrefix(`${addr}/${prefix}`)!;
    return (_f, s) => which.some((i) => s.addrs[i]!.some((a) => inPrefix(a, net)));
  }

  private portTest(value: string, which: number[]): Node {
    const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
    if (!(port >= 0 && port <= 65535)) this.fail(`port must be a number from 0 to 65535, not '${value}'`);
    return (_f, s) => which.some((i) => s.ports[i]!.has(port));
  }
}

export function compileFlowFilter(text: string): FlowFilter {
  const tokens = text.match(/\(|\)|&&|\|\||!|[^\s()!]+/g) ?? [];
  if (tokens.length === 0) return () => true;
  const node = new Parser(tokens, text).parse();
  return (flow) => node(flow, sidesOf(flow));
}
