// The decisions of a live trace on one host (src/commands/live-trace.ts) that need no capture:
// the trace's description (as `hoptrace --record` wrote it into the lab's recordings), the
// context of every hop's capture filter, the note a watch without a filter gets, and what is
// said when a hop's capture ends on its own. Paths are the lab's (hops of fixtures/record-*).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DiscoveredPath } from '../../src/discover/path.js';
import type { Hop } from '../../src/model.js';
import {
  captureFilters, captureNotes, describeTrace, factLines, filterContext, problemHandler, stoppedLine, watchOptions, watchUplinkNote, type LiveTraceRequest,
} from '../../src/commands/live-trace.js';
import { dockerClient, type ContainerFacts } from '../../src/discover/docker.js';
import { hopFilter } from '../../src/capture/live/bpf.js';

const FIXTURES = path.join(import.meta.dirname, '..', '..', 'fixtures');
const recorded = (name: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name, 'path.json'), 'utf8')) as { description: string; hops: (Hop & { file?: string })[] };
const hopsOf = (name: string): Hop[] => recorded(name).hops.map(({ file: _file, ...hop }) => hop);

const C1: ContainerFacts = {
  id: '72dab6d20d76aa', name: 'c1', running: true, pid: 4242, networkMode: 'default',
  networks: [{ name: 'bridge', id: 'n1', ip: '198.18.0.2', prefixLen: 24, gateway: '198.18.0.1' }], ports: [],
};

function bridgePath(over: Partial<DiscoveredPath> = {}, container: Partial<ContainerFacts> = {}): DiscoveredPath {
  return {
    target: { name: 'c1', description: 'container c1 (72dab6d20d76)', netns: { label: 'container:c1', path: '/proc/4242/ns/net' }, hostNetns: { label: 'host', path: '/proc/1/ns/net' }, hostNetnsReason: 'test', container: { ...C1, ...container }, drivers: { bridge: 'bridge' } },
    mode: 'bridge', hops: hopsOf('record-forward-off-fast'), where: [], destination: '203.0.113.2', nat: { rules: [] } as unknown as DiscoveredPath['nat'],
    addrs: ['198.18.0.2'], subnets: ['198.18.0.0/24'], uplinkAddrs: ['203.0.113.1'], notes: [], facts: [], ...over,
  };
}

afterEach(() => vi.unstubAllEnvs());

describe("the trace's description", () => {
  it('is the one the lab recording carries: the command as typed, the container, the destination, live kernel timestamps', () => {
    const rec = recorded('record-forward-off-fast');
    expect(describeTrace(bridgePath(), { destination: '203.0.113.2', commandLine: 'hoptrace ping c1 203.0.113.2 --count 3 --interval 0.2 --text --record record-forward-off-fast' })).toBe(rec.description);
  });

  it('without a destination (watch), and from a command line that does not start with hoptrace', () => {
    const rec = recorded('record-c2c-with-uplink');
    const target = { ...bridgePath().target, description: 'container c1 (90cd49cfb0a4)' };
    expect(describeTrace({ target }, { destination: undefined, commandLine: 'hoptrace watch c1 --text --record record-c2c-with-uplink' })).toBe(rec.description);
    expect(describeTrace({ target }, { destination: undefined, commandLine: 'sudo hoptrace watch c1' })).toBe("hoptrace sudo hoptrace watch c1: container c1 (90cd49cfb0a4), recorded live (kernel timestamps of each hop's capture)");
  });
});

describe("the context of each hop's capture filter", () => {
  it('published ports with their protocol (tcp when Docker names none), relay-only lo beside a bridge, VLAN-tagged trunks', () => {
    const lo: Hop = { name: 'lo', role: 'host', iface: 'lo', netns: 'host', addrs: ['127.0.0.1'] };
    const p = bridgePath(
      { hops: [...hopsOf('record-forward-off-fast'), lo], facts: [{ kind: 'vlan-tag-expected', trunk: 'eth0.10' } as never], uplinkAddrs: ['203.0.113.1', '2001:db8::1'] },
      { ports: [{ containerPort: '80/tcp', hostIp: '0.0.0.0', hostPort: '8080' }, { containerPort: '53/udp', hostIp: '0.0.0.0', hostPort: '5353' }, { containerPort: '7', hostIp: '', hostPort: '7007' }] },
    );
    expect(filterContext(p)).toEqual({
      addrs: ['198.18.0.2'], uplinkAddrs: ['203.0.113.1', '2001:db8::1'],
      publishedPorts: [{ proto: 'tcp', port: 8080 }, { proto: 'udp', port: 5353 }, { proto: 'tcp', port: 7007 }],
      vlanTagged: ['eth0.10'], relayOnly: ['lo'],
    });
  });

  it('no container (--netns) and no bridge: nothing published, lo is on the path', () => {
    const lo: Hop = { name: 'lo', role: 'host', iface: 'lo', netns: 'host', addrs: [] };
    const p = bridgePath({ hops: [lo], addrs: ['203.0.113.1'], uplinkAddrs: [] });
    p.target = { ...p.target, container: undefined };
    expect(filterContext(p)).toEqual({ addrs: ['203.0.113.1'], uplinkAddrs: [], publishedPorts: [], vlanTagged: [], relayOnly: [] });
  });

  it("gives the uplink's capture the SNAT address and the published ports (as the capture filters are built)", () => {
    const p = bridgePath({}, { ports: [{ containerPort: '80/tcp', hostIp: '0.0.0.0', hostPort: '8080' }] });
    const uplink = p.hops[3]!;
    expect(hopFilter(uplink, { proto: 'any' }, filterContext(p))).toBe(hopFilter(uplink, { proto: 'any' }, { addrs: ['198.18.0.2'], uplinkAddrs: ['203.0.113.1'], publishedPorts: [{ proto: 'tcp', port: 8080 }], vlanTagged: [], relayOnly: [] }));
  });
});

describe('what the capture is told and the report notes', () => {
  const VLAN = { kind: 'vlan-tag-expected', trunk: 'eth0.10', vlanId: 10, parent: 'eth0' } as unknown as DiscoveredPath['facts'][number];
  const VLAN_WORDS = 'frames on eth0.10 carry 802.1Q tag 10 and those on eth0 do not: that is the VLAN, not a rewrite';

  it("each hop's filter for the traced flow, in path order: the container's address inside, the destination and the SNAT address at the uplink, published ports for a watch", () => {
    const p = bridgePath({}, { ports: [{ containerPort: '80/tcp', hostIp: '0.0.0.0', hostPort: '8080' }] });
    const inside = 'host 198.18.0.2 and (icmp or (icmp6 and icmp6[0] < 130))';
    expect(captureFilters(p, { proto: 'icmp', destination: '203.0.113.2' })).toEqual([
      inside, inside, inside, '(icmp or (icmp6 and icmp6[0] < 130)) and (host 203.0.113.2 or host 198.18.0.2 or dst host 203.0.113.1)',
    ]);
    const watched = 'host 198.18.0.2 and not (icmp6 and icmp6[0] >= 130)';
    expect(captureFilters(p, { proto: 'any' })).toEqual([
      watched, watched, watched, '(host 198.18.0.2 or host 203.0.113.1 or (tcp port 8080)) and not (icmp6 and icmp6[0] >= 130)',
    ]);
  });

  it('the notes: what discovery established, its own notes, then each capture filter; the facts are also said before the capture', () => {
    const p = bridgePath({ facts: [VLAN], notes: ['host netns: dockerd\'s (pid 4242)'] });
    expect(captureNotes(p, ['f0', 'f1', 'f2', 'f3'])).toEqual([
      VLAN_WORDS, "host netns: dockerd's (pid 4242)",
      'capture filter at c1 eth0: f0', 'capture filter at vetha799693: f1', 'capture filter at docker0: f2', 'capture filter at eth0: f3',
    ]);
    expect(factLines(p)).toEqual([`note: ${VLAN_WORDS}`]);
    expect(factLines(bridgePath())).toEqual([]);
  });

  it('the host watch: rules traced only with --trace-rules; retired flows handed on when the command prints them', () => {
    const onRetired = () => undefined;
    expect(watchOptions({})).toEqual({ traceRules: false });
    expect(watchOptions({ traceRules: true, onRetired })).toEqual({ traceRules: true, onRetired });
    expect(watchOptions({ traceRules: false, onRetired: undefined })).toEqual({ traceRules: false });
  });
});

describe('the note of a watch without a filter', () => {
  const NOTE = "note: without a filter, eth0 keeps every packet to or from 203.0.113.1, 2001:db8::1 (where the SNAT puts the container's traffic), the host's own included; a filter such as 'host <destination>' narrows it";

  it("names the uplink and every address the SNAT uses", () => {
    expect(watchUplinkNote(bridgePath({ uplinkAddrs: ['203.0.113.1', '2001:db8::1'] }), { proto: 'any' })).toBe(NOTE);
  });

  it('without an uplink hop, the last hop is named', () => {
    const hops = hopsOf('record-forward-off-fast').slice(0, 3);
    expect(watchUplinkNote({ hops, uplinkAddrs: ['203.0.113.1'] }, { proto: 'any' })).toBe(
      "note: without a filter, docker0 keeps every packet to or from 203.0.113.1 (where the SNAT puts the container's traffic), the host's own included; a filter such as 'host <destination>' narrows it",
    );
  });

  it("the uplink by its role, also when the host's lo (recorded for relays) comes after it", () => {
    const hops = hopsOf('why/relay-docker-proxy');
    expect(hops.map((h) => h.name)).toEqual(['c1 eth0', 'veth08c4035', 'docker0', 'eth0', 'lo']);
    expect(watchUplinkNote({ hops, uplinkAddrs: ['203.0.113.1'] }, { proto: 'any' })).toBe(
      "note: without a filter, eth0 keeps every packet to or from 203.0.113.1 (where the SNAT puts the container's traffic), the host's own included; a filter such as 'host <destination>' narrows it",
    );
  });

  it('not for a traced protocol, not with a filter, not without SNAT addresses', () => {
    expect(watchUplinkNote(bridgePath(), { proto: 'icmp', destination: '203.0.113.2' })).toBeUndefined();
    expect(watchUplinkNote(bridgePath(), { proto: 'any', userFilter: 'icmp' })).toBeUndefined();
    expect(watchUplinkNote(bridgePath({ uplinkAddrs: [] }), { proto: 'any' })).toBeUndefined();
  });
});

describe('a capture that ended on its own', () => {
  it("what Docker says of the container: running (nothing), stopped, or gone", () => {
    expect(stoppedLine('c1', { running: true })).toBeUndefined();
    expect(stoppedLine('c1', { running: false })).toBe('container c1 stopped during the trace: the report covers what was captured until then');
    expect(stoppedLine('c1', undefined)).toBe('container c1 was removed during the trace: the report covers what was captured until then');
  });

  function handler(p: DiscoveredPath) {
    const said: string[] = [];
    const warnings: string[] = [];
    const checks: Promise<void>[] = [];
    let stops = 0;
    const request = { say: (line: string) => void said.push(line) } as LiveTraceRequest;
    // The source the trace reads from: only its stop is asked for.
    const onProblem = problemHandler(p, request, warnings, () => ({ stop: () => void stops++ }) as never, checks);
    return { onProblem, said, warnings, checks, stops: () => stops };
  }

  it('without Docker (--netns/--pid): the warning only, said and kept for the report; the trace goes on', async () => {
    const p = bridgePath();
    p.target = { ...p.target, container: undefined, docker: undefined };
    const h = handler(p);
    h.onProblem(p.hops[1]!, 'interface vetha799693 is gone');
    expect(h.checks).toHaveLength(1);
    await Promise.all(h.checks);
    expect(h.warnings).toEqual(['vetha799693: interface vetha799693 is gone']);
    expect(h.said).toEqual(['warning: vetha799693: interface vetha799693 is gone']);
    expect(h.stops()).toBe(0);
  });

  it("a container Docker no longer knows (its engine gone too): said once for two hops' ends, and the trace is stopped", async () => {
    vi.stubEnv('DOCKER_HOST', 'unix:///var/run/hoptrace-test-absent.sock');
    const p = bridgePath();
    p.target = { ...p.target, docker: dockerClient(1000) };
    const h = handler(p);
    h.onProblem(p.hops[0]!, 'capture ended');
    h.onProblem(p.hops[1]!, 'capture ended');
    expect(h.checks).toHaveLength(2);
    await Promise.all(h.checks);
    const gone = 'container c1 was removed during the trace: the report covers what was captured until then';
    expect(h.warnings).toEqual(['c1 eth0: capture ended', 'vetha799693: capture ended', gone]);
    expect(h.said).toEqual(['warning: c1 eth0: capture ended', 'warning: vetha799693: capture ended', `warning: ${gone}`]);
    expect(h.stops()).toBe(1);
  });

  it('a capture that ends before the source exists: said, and nothing to stop', async () => {
    vi.stubEnv('DOCKER_HOST', 'unix:///var/run/hoptrace-test-absent.sock');
    const p = bridgePath();
    p.target = { ...p.target, docker: dockerClient(1000) };
    const said: string[] = [];
    const checks: Promise<void>[] = [];
    const onProblem = problemHandler(p, { say: (line: string) => void said.push(line) } as LiveTraceRequest, [], () => undefined, checks);
    onProblem(p.hops[0]!, 'capture ended');
    await Promise.all(checks);
    expect(said).toEqual(['warning: c1 eth0: capture ended', 'warning: container c1 was removed during the trace: the report covers what was captured until then']);
  });

  it('a Docker client but no container (--pid of a process): no question asked, nothing more said', async () => {
    vi.stubEnv('DOCKER_HOST', 'unix:///var/run/hoptrace-test-absent.sock');
    const p = bridgePath();
    p.target = { ...p.target, container: undefined, docker: dockerClient(1000) };
    const h = handler(p);
    h.onProblem(p.hops[2]!, 'capture ended');
    await Promise.all(h.checks);
    expect(h.said).toEqual(['warning: docker0: capture ended']);
    expect(h.stops()).toBe(0);
  });
});
