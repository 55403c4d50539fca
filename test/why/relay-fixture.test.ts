// fixtures/why/relay-docker-proxy, recorded by `hoptrace watch c1 --record` (Docker 20.10 lab):
// c1 runs httpd published as 8080:80; from the Docker host itself `wget http://127.0.0.1:8080/`
// (answered by docker-proxy, which opened its own connection from docker0's address to c1),
// then from the outside host `wget http://203.0.113.1:8080/` (DNAT, no relay). The host's lo
// was captured too (05-lo.pcap), off the path. Its whole report is pinned: the relay is named
// on the relayed flow only, with the proxy's pid from host.json; without host.json the tie is
// made from the payload alone, without the pid; a plain published-port capture has no relay.
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hoptrace } from '../live/support.js';
import { parseListeners } from '../../src/evidence/collect.js';
import { RelayWatch } from '../../src/evidence/relay.js';
import { relayOnlyHop, watchRelays } from '../../src/evidence/relay-source.js';
import { createTracer } from '../../src/pipeline/tracer.js';
import type { FrameSink } from '../../src/source.js';
import { openTrace } from '../../src/capture/trace.js';
import { replaySource } from '../../src/capture/replay-session.js';

/** Every frame of a trace through a RelayWatch, as the pipeline's source would give them. */
async function tiesOf(inputs: string[]) {
  const trace = openTrace(inputs);
  const watch = new RelayWatch(trace.hops);
  const source = replaySource(trace, { speed: 0 });
  await source.start({ push: (frame) => watch.frame(frame), tick: () => undefined });
  await source.ended;
  return watch.ties();
}

const TIE = { front: { src: '127.0.0.1', sport: 56254, dst: '127.0.0.1', dport: 8080 }, back: { src: '198.18.0.1', sport: 57142, dst: '198.18.0.2', dport: 80 }, bytes: 77, delayUs: 450 };

const FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'why', 'relay-docker-proxy');
const RELAY = 'relayed by docker-proxy (pid 20839): 127.0.0.1:56254 -> 127.0.0.1:8080 became 198.18.0.1:57142 -> 198.18.0.2:80 (the same first 77 bytes, 450 us later)';
const scratch = mkdtempSync(join(tmpdir(), 'ht-relay-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('fixtures/why/relay-docker-proxy: a published port reached from the Docker host is relayed by docker-proxy', () => {
  it('the whole text report: the relay under the relayed flow, the DNAT flow with its rules and no relay', () => {
    const run = hoptrace(['replay', FIXTURE, '--text']);
    expect(run.status).toBe(0);
    expect(run.stdout.split('\n').filter((l) => l.includes('relayed'))).toEqual([`  why: ${RELAY}`]);
    expect(run.stdout).toBe(`path: 1. c1 eth0 (198.18.0.2)  2. veth08c4035  3. docker0 (198.18.0.1)  4. eth0 (203.0.113.1, 2001:db8::1)
packets per hop: c1 eth0 27, veth08c4035 27, docker0 25, eth0 13
timestamps: taken from the capture files (each hop by its own capture)

flow 1: tcp 203.0.113.2:60028 -> 203.0.113.1:8080: ok (7 requests, 6 replies)
   1. c1 eth0
       | requests 2.3 us (1.4..6.0 us) ttl same, replies 4.3 us (1.4..14.3 us) ttl same
   2. veth08c4035
       | requests 2.8 us (1.2..8.3 us) ttl same, replies 5.4 us (1.6..18.0 us) ttl same
   3. docker0
       | requests 12.6 us (2.4..63.2 us) ttl -1, replies 6.8 us (2.2..23.0 us) ttl -1
       | DNAT dst 203.0.113.1 -> 198.18.0.2 between eth0 and docker0
       | DNAT dport 8080 -> 80 between eth0 and docker0
       |   why: destination rewritten by a rule in chain DOCKER of table nat (iptables-nft): \`-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 198.18.0.2:80\`; conntrack 203.0.113.2:60028 -> 203.0.113.1:8080 <-> 198.18.0.2:80 -> 203.0.113.2:60028
       | un-DNAT src 198.18.0.2 -> 203.0.113.1 between docker0 and eth0 (replies)
       | un-DNAT sport 80 -> 8080 between docker0 and eth0 (replies)
       |   why: reply rewritten by conntrack, undoing the destination NAT made by a rule in chain DOCKER of table nat (iptables-nft): \`-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 198.18.0.2:80\`; conntrack 203.0.113.2:60028 -> 203.0.113.1:8080 <-> 198.18.0.2:80 -> 203.0.113.2:60028
   4. eth0
  verdict: ok: requests reached c1 eth0 and the answers came back.

flow 2: tcp 198.18.0.1:57142 -> 198.18.0.2:80: ok (6 requests, 6 replies)
   1. c1 eth0
       | requests 3.9 us (1.6..9.8 us) ttl same, replies 3.3 us (1.6..8.3 us) ttl same
   2. veth08c4035
       | requests 3.5 us (1.1..10.9 us) ttl same, replies 3.9 us (1.7..7.3 us) ttl same
   3. docker0
   4. eth0
  verdict: ok: requests reached c1 eth0 and the answers came back.
  why: relayed by docker-proxy (pid 20839): 127.0.0.1:56254 -> 127.0.0.1:8080 became 198.18.0.1:57142 -> 198.18.0.2:80 (the same first 77 bytes, 450 us later)

2 flows, 0 not ok
`);
  });

  it('the JSON cause: kind relay, both connections, the bytes, the proxy and its pid; the DNAT flow has none', () => {
    const report = JSON.parse(hoptrace(['replay', FIXTURE, '--json']).stdout);
    expect(report.hops.map((h: { name: string }) => h.name)).toEqual(['c1 eth0', 'veth08c4035', 'docker0', 'eth0']);
    expect(report.flows[1].cause).toEqual({
      kind: 'relay',
      detail: {
        type: 'relay',
        front: { src: '127.0.0.1', sport: 56254, dst: '127.0.0.1', dport: 8080 },
        back: { src: '198.18.0.1', sport: 57142, dst: '198.18.0.2', dport: 80 },
        bytes: 77, delayUs: 450, process: 'docker-proxy', pid: 20839,
      },
      evidence: { counters: [], conntrack: [], sysctls: {} },
    });
    expect(report.flows[0].cause).toBeUndefined();
    expect(report.flows[0].rewrites.map((r: { cause: { detail: { type: string } } }) => r.cause.detail.type)).toEqual(['nat-rule', 'nat-rule', 'nat-rule', 'nat-rule']);
  });

  it('without host.json (the pcaps and path.json alone) the tie is made from the payload, without the pid', () => {
    const dir = join(scratch, 'plain');
    cpSync(FIXTURE, dir, { recursive: true });
    rmSync(join(dir, 'host.json'));
    const text = hoptrace(['replay', dir, '--text']).stdout;
    const why = text.split('\n').filter((l) => l.startsWith('  why: '));
    expect(why).toEqual(['  why: relayed by the process listening on port 8080: 127.0.0.1:56254 -> 127.0.0.1:8080 became 198.18.0.1:57142 -> 198.18.0.2:80 (the same first 77 bytes, 450 us later)']);
    expect(text).not.toContain('docker-proxy');
  });

  it('without the lo capture there is nothing to tie: no relay is claimed', () => {
    const dir = join(scratch, 'no-lo');
    cpSync(FIXTURE, dir, { recursive: true });
    rmSync(join(dir, '05-lo.pcap'));
    const pcaps = readdirSync(dir).filter((f) => f.endsWith('.pcap') && f !== '05-lo.pcap').sort().map((f) => join(dir, f));
    const text = hoptrace(['replay', ...pcaps, '--text']).stdout;
    expect(text).not.toContain('relayed');
  });
});

describe('the tie, from the frames alone', () => {
  it('with the path (the bridge known): the one relay, the DNAT fetch from outside not tied', async () => {
    expect(await tiesOf([FIXTURE])).toEqual([TIE]);
  });

  it('bare pcaps (no bridge named): the same tie, by the same bytes to another server', async () => {
    const pcaps = readdirSync(FIXTURE).filter((f) => f.endsWith('.pcap')).sort().map((f) => join(FIXTURE, f));
    expect(await tiesOf(pcaps)).toEqual([TIE]);
  });

  it('the path without lo: nothing to tie', async () => {
    const pcaps = readdirSync(FIXTURE).filter((f) => f.endsWith('.pcap') && f !== '05-lo.pcap').sort().map((f) => join(FIXTURE, f));
    expect(await tiesOf(pcaps)).toEqual([]);
  });
});

describe('the relay watch inside the pipeline (relay-source.ts)', () => {
  it("takes the pipeline's own decode of each path frame (pushAt, lastPacket) and makes the same tie as from every frame alone", async () => {
    const trace = openTrace([FIXTURE]);
    const relays = watchRelays(replaySource(trace, { speed: 0 }));
    const tracer = createTracer(relays.source.hops);
    let frames = 0;
    let decoded = 0;
    // The tracer as the sink, counting what reaches it: every path frame comes as bytes, none as an object.
    await relays.source.start({
      push: () => expect.unreachable('a frame object'),
      pushAt: (...args: Parameters<typeof tracer.pushAt>) => {
        frames++;
        tracer.pushAt(...args);
      },
      lastPacket: () => {
        decoded++;
        return tracer.lastPacket();
      },
      tick: (sec, nsec) => tracer.tick(sec, nsec),
    });
    const report = relays.attach(tracer.finish());
    // 27 + 27 + 25 + 13 frames on the path; lo's go to the watch only.
    expect([frames, decoded]).toEqual([92, 92]);
    const relayed = report.flows.filter((f) => f.cause?.kind === 'relay');
    expect(relayed.map((f) => f.cause!.detail)).toEqual([{ type: 'relay', ...TIE }]);
  });

  it('passes a hop\'s end and link type on under its new number, and not those of the relay-only lo', () => {
    const trace = openTrace([FIXTURE]);
    const hops = trace.hops;
    trace.close();
    const inner = { hops, notes: [], ended: Promise.resolve(), start: async (sink: FrameSink) => {
      for (let hop = 0; hop < hops.length; hop++) {
        sink.linkType?.(hop, 1);
        sink.hopEnded?.(hop, 10, hop);
      }
    }, stop: () => undefined, hopStatus: () => [], warnings: () => [] };
    const relays = watchRelays(inner);
    const seen: string[] = [];
    void relays.source.start({
      push: () => undefined,
      tick: () => undefined,
      linkType: (hop, type) => seen.push(`link ${hop} ${type}`),
      hopEnded: (hop, sec, nsec) => seen.push(`end ${hop} ${sec}.${nsec}`),
    });
    const lo = hops.findIndex((h) => relayOnlyHop(h, hops));
    expect(lo).toBe(4);
    expect(seen).toEqual(['link 0 1', 'end 0 10.0', 'link 1 1', 'end 1 10.1', 'link 2 1', 'end 2 10.2', 'link 3 1', 'end 3 10.3']);
  });
});

describe('no relay where there is none', () => {
  it('fixtures/published-port (a plain DNAT from outside): no flow has a relay, or any cause', () => {
    const report = JSON.parse(hoptrace(['replay', join(import.meta.dirname, '..', '..', 'fixtures', 'published-port'), '--json']).stdout);
    expect(report.flows.map((f: { cause?: unknown }) => f.cause)).toEqual(report.flows.map(() => undefined));
    expect(hoptrace(['replay', join(import.meta.dirname, '..', '..', 'fixtures', 'published-port'), '--text']).stdout).not.toContain('relayed');
  });
});

describe('the listening sockets of the host (ss -tlnpH)', () => {
  it('reads each socket with its process and pid, IPv4 and IPv6', () => {
    const text = [
      'LISTEN 0      4096   0.0.0.0:8080 0.0.0.0:* users:(("docker-proxy",pid=7084,fd=4))',
      'LISTEN 0      4096      [::]:8080    [::]:* users:(("docker-proxy",pid=7090,fd=4))',
      'LISTEN 0      4096   127.0.0.11:45053 0.0.0.0:*',
    ].join('\n');
    expect(parseListeners(text)).toEqual([
      { addr: '0.0.0.0', port: 8080, process: 'docker-proxy', pid: 7084 },
      { addr: '::', port: 8080, process: 'docker-proxy', pid: 7090 },
    ]);
  });
});

describe('which lo is off the path', () => {
  const hops = openTrace([FIXTURE]).hops;
  it("the host's lo beside a bridged path (a container with published ports) is captured for relays only", () => {
    expect(hops.map((h) => [h.name, relayOnlyHop(h, hops)])).toEqual([
      ['c1 eth0', false], [hops[1]!.name, false], ['docker0', false], ['eth0', false], ['lo', true],
    ]);
  });
  it("a host-network container's path on lo (no bridge on it) keeps lo as its path", () => {
    const lo = hops[4]!;
    expect(relayOnlyHop(lo, [lo])).toBe(false);
    expect(relayOnlyHop(lo, [hops[3]!, lo])).toBe(false);
  });
});
