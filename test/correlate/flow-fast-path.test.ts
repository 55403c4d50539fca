// The flow table's fast path (src/correlate/flows.ts placeLikeLast): a packet of the same
// conversation as the last one placed at its hop is placed without building a conversation key
// (a string per packet, on the path every captured packet takes). Counted here by the calls to
// keys.ts's conversationKey: once each hop knows the flow, the packets of that conversation, either
// way, for every kind of transport, build none; a packet of another conversation still does, and
// lands in its own flow.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FlowTable } from '../../src/correlate/flows.js';
import { PathModel } from '../../src/correlate/path.js';
import * as keys from '../../src/correlate/keys.js';
import { decodeFrame } from '../../src/decode/index.js';
import { SYN, ACK, bytes, icmpEcho, tcp, udp } from '../decode/builders.js';
import type { Sighting } from '../../src/model.js';
import { C1, DOCKER_PATH, frameAt, HOST, ip4, OUT } from './path-builders.js';

vi.mock('../../src/correlate/keys.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/correlate/keys.js')>();
  return { ...original, conversationKey: vi.fn(original.conversationKey) };
});


function sightings(hops: number[], packet: (hop: number) => Uint8Array): Sighting[] {
  return hops.map((hop, i) => {
    const f = frameAt(hop, i * 0.01, packet(hop));
    const d = decodeFrame(f.linkType, f.data, f.origLen);
    if (d.kind !== 'packet') throw new Error('not a packet');
    return { hop, frameSeq: i, t: i * 1e4, ip: d.ip, encap: d.encap };
  });
}
const OUTWARD = [0, 1, 2, 3];
const BACK = [3, 2, 1, 0];
const keyCalls = () => vi.mocked(keys.conversationKey).mock.calls.length;

/** Requests and replies of one conversation, alternately: `out(n)` from c1, `back(n)` to it. */
function conversation(out: (n: number) => (hop: number) => Uint8Array, back: (n: number) => (hop: number) => Uint8Array) {
  const table = new FlowTable(new PathModel(DOCKER_PATH));
  const first = table.place(sightings(OUTWARD, out(0)));
  table.place(sightings(BACK, back(0)));
  const before = keyCalls();
  const placed = [];
  for (let n = 1; n <= 3; n++) placed.push(table.place(sightings(OUTWARD, out(n))), table.place(sightings(BACK, back(n))));
  return { first, placed, keysBuilt: keyCalls() - before };
}

beforeEach(() => {
  vi.mocked(keys.conversationKey).mockClear();
});

describe('packets of the conversation last placed at their hop build no conversation key', () => {
  const expectFast = (r: ReturnType<typeof conversation>) => {
    expect(r.keysBuilt).toBe(0);
    expect(r.placed.map((p) => [p.flow === r.first.flow, p.direction, p.created])).toEqual(
      [1, 2, 3].flatMap(() => [[true, 'request', false], [true, 'reply', false]]),
    );
  };

  it('TCP, both ways (SNAT at eth0)', () => {
    const out = (n: number) => (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: 10 + n, proto: 6 }, tcp({ sport: hop === 3 ? 61000 : 41000, dport: 80, seq: 100 + n, ack: 1, flags: n === 0 ? SYN : ACK }));
    const back = (n: number) => (hop: number) => ip4({ src: OUT, dst: hop === 3 ? HOST : C1, id: 0, proto: 6 }, tcp({ sport: 80, dport: hop === 3 ? 61000 : 41000, seq: 900 + n, ack: 101 + n, flags: n === 0 ? SYN | ACK : ACK }));
    expectFast(conversation(out, back));
  });

  it('UDP, both ways', () => {
    const out = (n: number) => (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: 10 + n, proto: 17 }, udp({ sport: 5353, dport: 53 }, bytes(8 + n)));
    const back = (n: number) => (hop: number) => ip4({ src: OUT, dst: hop === 3 ? HOST : C1, id: 50 + n, proto: 17 }, udp({ sport: 53, dport: 5353 }, bytes(20 + n)));
    expectFast(conversation(out, back));
  });

  it('ICMP echo, both ways (echo id rewritten at eth0)', () => {
    const out = (n: number) => (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: 10 + n, proto: 1 }, icmpEcho(8, hop === 3 ? 1005 : 5, n, bytes(8)));
    const back = (n: number) => (hop: number) => ip4({ src: OUT, dst: hop === 3 ? HOST : C1, id: 50 + n, proto: 1 }, icmpEcho(0, hop === 3 ? 1005 : 5, n, bytes(8)));
    expectFast(conversation(out, back));
  });

  it('ICMP without an echo id (timestamp request and reply), both ways', () => {
    const stamp = (type: number, n: number, hop: number) => Uint8Array.from([type, 0, 0, 0, 0, 9, 0, n, ...bytes(12)]);
    const out = (n: number) => (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: 10 + n, proto: 1 }, stamp(13, n, hop));
    const back = (n: number) => (hop: number) => ip4({ src: OUT, dst: hop === 3 ? HOST : C1, id: 50 + n, proto: 1 }, stamp(14, n, hop));
    expectFast(conversation(out, back));
  });

  it('a protocol not decoded (GRE), both ways', () => {
    const out = (n: number) => (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id: 10 + n, proto: 47 }, bytes(16 + n));
    const back = (n: number) => (hop: number) => ip4({ src: OUT, dst: hop === 3 ? HOST : C1, id: 50 + n, proto: 47 }, bytes(24 + n));
    expectFast(conversation(out, back));
  });
});

describe('NOT: a packet of another conversation at the same hop', () => {
  it('builds its keys and starts its own flow', () => {
    const table = new FlowTable(new PathModel(DOCKER_PATH));
    const ping = (id: number) => (hop: number) => ip4({ src: hop === 3 ? HOST : C1, dst: OUT, id, proto: 1 }, icmpEcho(8, hop === 3 ? 1000 + id : id, 1, bytes(8)));
    const a = table.place(sightings(OUTWARD, ping(5)));
    vi.mocked(keys.conversationKey).mockClear();
    const b = table.place(sightings(OUTWARD, ping(6)));
    expect(b.created).toBe(true);
    expect(b.flow).not.toBe(a.flow);
    // Looked up at each of its four hops, then registered at each.
    expect(keyCalls()).toBe(8);
  });
});
