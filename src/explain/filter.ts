import { InputError } from '../errors.js';
import type { FlowReport } from '../model.js';
import { inCidr } from '../addresses.js';

/**
 * A pcap-filter-like selection of flows. It is applied to whole flows, not packets, so that
 * `host 198.18.0.2` keeps a flow at every hop even after NAT rewrote the address: a flow
 * matches when any address or port it had at any hop matches. `src` means the initiator's
 * side, `dst` the responder's.
 */
export type FlowFilter = (flow: FlowReport) => boolean;

interface Sides {
  addrs: [Set<string>, Set<string>];
  ports: [Set<number>, Set<number>];
}

function splitEndpoint(endpoint: string): { addr: string; port?: number } {
  const v6 = /^\[(.+)\]:(\d+)$/.exec(endpoint);
  if (v6) return { addr: v6[1], port: Number(v6[2]) };
  const v4 = /^([^:]+):(\d+)$/.exec(endpoint);
  return v4 ? { addr: v4[1], port: Number(v4[2]) } : { addr: endpoint };
}

function sidesOf(flow: FlowReport): Sides {
  const sides: Sides = { addrs: [new Set(), new Set()], ports: [new Set(), new Set()] };
  [flow.initiator, flow.responder].forEach((endpoint, side) => {
    const { addr, port } = splitEndpoint(endpoint);
    sides.addrs[side].add(addr);
    if (port !== undefined) sides.ports[side].add(port);
  });
  for (const r of flow.rewrites) {
    // A request's source and a reply's destination are the initiator's side.
    const initiatorSide = (r.field === 'src' || r.field === 'sport') === (r.direction === 'request') ? 0 : 1;
    const target = r.field === 'src' || r.field === 'dst' ? sides.addrs[initiatorSide] : r.field === 'icmp-id' ? undefined : sides.ports[initiatorSide];
    if (!target) continue;
    for (const v of [r.from, r.to]) (target as Set<string | number>).add(r.field.endsWith('port') ? Number(v) : v);
  }
  return sides;
}

type Node = (flow: FlowReport, sides: Sides) => boolean;

const PROTOS: Record<string, (proto: string) => boolean> = {
  tcp: (p) => p === 'tcp',
  udp: (p) => p === 'udp',
  icmp: (p) => p === 'icmp',
  icmp6: (p) => p === 'icmpv6',
};

class Parser {
  private pos = 0;
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
    throw new InputError(`bad --filter '${this.text}': ${problem}`);
  }

  private peek(): string | undefined {
    return this.tokens[this.pos];
  }

  private take(): string {
    const token = this.tokens[this.pos++];
    if (token === undefined) this.fail('it ends too early');
    return token;
  }

  private or(): Node {
    let left = this.and();
    while (this.peek() === 'or' || this.peek() === '||') {
      this.pos++;
      const l = left;
      const r = this.and();
      left = (f, s) => l(f, s) || r(f, s);
    }
    return left;
  }

  private and(): Node {
    let left = this.not();
    while (this.peek() !== undefined && this.peek() !== 'or' && this.peek() !== '||' && this.peek() !== ')') {
      if (this.peek() === 'and' || this.peek() === '&&') this.pos++;
      const l = left;
      const r = this.not();
      left = (f, s) => l(f, s) && r(f, s);
    }
    return left;
  }

  private not(): Node {
    if (this.peek() === 'not' || this.peek() === '!') {
      this.pos++;
      const inner = this.not();
      return (f, s) => !inner(f, s);
    }
    return this.primary();
  }

  private primary(): Node {
    const token = this.take();
    if (token === '(') {
      const inner = this.or();
      if (this.take() !== ')') this.fail("missing ')'");
      return inner;
    }
    if (PROTOS[token]) return (f) => PROTOS[token](f.proto);
    if (token === 'ip') return (f) => !f.initiator.startsWith('[') && !f.initiator.includes('::');
    if (token === 'ip6') return (f) => f.initiator.startsWith('[') || f.initiator.includes('::');
    const sides = token === 'src' ? [0] : token === 'dst' ? [1] : undefined;
    const kind = sides ? this.take() : token;
    const which = sides ?? [0, 1];
    if (kind === 'host' || kind === 'net') {
      const value = this.take();
      const test = kind === 'host' ? (a: string) => a === value : (a: string) => inCidr(a, value);
      return (_f, s) => which.some((i) => [...s.addrs[i]].some(test));
    }
    if (kind === 'port') {
      const port = Number(this.take());
      if (!Number.isInteger(port) || port < 0 || port > 65535) this.fail('port must be a number from 0 to 65535');
      return (_f, s) => which.some((i) => s.ports[i].has(port));
    }
    if (!sides && /^[0-9a-f.:]+$/i.test(token) && (token.includes('.') || token.includes(':'))) {
      return (_f, s) => s.addrs[0].has(token) || s.addrs[1].has(token);
    }
    this.fail(`unknown word '${kind}' (known: host, net, port, src, dst, tcp, udp, icmp, icmp6, ip, ip6, and, or, not, parentheses)`);
  }
}

export function compileFlowFilter(text: string): FlowFilter {
  const tokens = text.match(/\(|\)|&&|\|\||!|[^\s()!]+/g) ?? [];
  if (tokens.length === 0) return () => true;
  const node = new Parser(tokens, text).parse();
  return (flow) => node(flow, sidesOf(flow));
}
