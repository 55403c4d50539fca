// Every `description` in schema/*.json that says something a report can be checked against,
// checked claim by claim on the real reports of the recorded fixtures (replay --json, built in
// process), against the fixtures' bytes (./frames.ts) where the claim is about them. Each test
// names the claim; fixtures where a claim can only be seen in part are named in its test.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTrace } from '../../src/capture/trace.js';
import { replayReport } from '../../src/pipeline/replay.js';
import { renderJson } from '../../src/render/json.js';
import { icmpOf, readPcap, tcpFlags, type RawFrame } from './frames.js';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'fixtures');
const OVERLAY = path.join(ROOT, 'test', 'overlay', 'captures');
const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'report.schema.json'), 'utf8'));
const flowSchema = schema.$defs.flow.properties;

type Json = Record<string, any>;
/** The fixtures with a `rejected` finding, and its side (none has side destination). */
const CHECKED_REJECTIONS = ['dns-unreachable:beyond', 'record-reject-icmp:path', 'record-reject-reset:path', 'record-remote-reset:beyond', 'record-ttl-expired:path', 'reject-icmp:path', 'reject-reset:path', 'remote-reset:beyond', 'ttl-expired:path'];
const NAMES = fs.readdirSync(FIXTURES).filter((n) => fs.existsSync(path.join(FIXTURES, n, 'path.json')));

async function reportOf(dir: string): Promise<Json> {
  return JSON.parse(renderJson(await replayReport(openTrace([dir]))));
}

const reports = new Map<string, Promise<Json>>();
function fixture(name: string): Promise<Json> {
  if (!reports.has(name)) reports.set(name, reportOf(path.join(FIXTURES, name)));
  return reports.get(name)!;
}

function pathJson(name: string): { hops: { file: string; name: string }[] } {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name, 'path.json'), 'utf8'));
}

function framesOf(name: string) {
  return pathJson(name).hops.map((hop) => readPcap(path.join(FIXTURES, name, hop.file)));
}

/** Every (fixture, flow) pair. */
async function everyFlow(): Promise<[string, Json, Json][]> {
  const all: [string, Json, Json][] = [];
  for (const name of NAMES) {
    const report = await fixture(name);
    for (const flow of report.flows) all.push([name, report, flow]);
  }
  return all;
}

/** The words a description lists before each colon ("ok: ... partial: ..."). */
function listedWords(description: string): string[] {
  return [...description.matchAll(/(?:^|\. |, )([a-z][a-z-]*)(?::| \()/g)].map((m) => m[1]!);
}

describe('the report as a whole', () => {
  it('"Format 2": every fixture report says format 2', async () => {
    expect(schema.description).toMatch(/Format 2 /);
    for (const name of NAMES) expect((await fixture(name)).format, name).toBe(2);
  });

  it('hops: "in path order: the traced container\'s side first" (the order of path.json, the container\'s own interface first, also for inbound published-port)', async () => {
    for (const name of NAMES) {
      const { hops } = await fixture(name);
      expect(hops.map((h: Json) => path.basename(h.file)), name).toEqual(pathJson(name).hops.map((h) => h.file));
      expect(['container', 'host'], name).toContain(hops[0].role);
    }
  });

  it('packetsPerHop: "Frames read or captured at each hop, in hop order": the records of each hop\'s file', async () => {
    for (const name of NAMES) expect((await fixture(name)).summary.packetsPerHop, name).toEqual(framesOf(name).map((f) => f.length));
  });

  it('skippedFrames: "no IP packet (ARP, LLDP...), link chatter (ICMPv6 neighbour discovery and multicast listener messages, packets to ff02::/16 or 224.0.0.0/24)": counted in the files (ARP in dns-unreachable, chatter in ipv6-global)', async () => {
    expect(schema.properties.summary.properties.skippedFrames.description).toMatch(/no IP packet \(ARP, LLDP...\), link chatter \(ICMPv6 neighbour discovery and multicast listener messages, packets to ff02::\/16 or 224\.0\.0\.0\/24\)/);
    const chatter = (f: RawFrame) =>
      f.ip !== undefined && (f.ip.v === 6 ? (f.ip.proto === 58 && f.ip.l4[0]! >= 130 && f.ip.l4[0]! <= 143) || f.ip.dst.startsWith('ff02:') : f.ip.dst.startsWith('224.0.0.'));
    for (const name of NAMES) {
      const skipped = framesOf(name).flat().filter((f) => !f.ip || chatter(f)).length;
      expect((await fixture(name)).summary.skippedFrames, name).toBe(skipped);
    }
    expect(framesOf('dns-unreachable').flat().filter((f) => f.etherType === 0x0806).length).toBe((await fixture('dns-unreachable')).summary.skippedFrames);
    expect(framesOf('ipv6-global').flat().filter((f) => !f.ip).length).toBe(0);
    expect((await fixture('ipv6-global')).summary.skippedFrames).toBe(1);
  });

  it('otherFlows: "Flows of other hosts seen on the shared hops (bridge, uplink), left out of `flows`" (shared-bridge, udp-no-snat-busy): every flow kept has the container\'s address or reached its hop (published-port)', async () => {
    for (const name of NAMES) {
      const report = await fixture(name);
      const own = new Set(report.hops[0].addrs);
      for (const flow of report.flows) {
        const touches = [flow.initiator, flow.responder].some((e: string) => own.has(addressOf(e))) || flow.reached === report.hops[0].name;
        expect(touches, `${name} flow ${flow.id}`).toBe(true);
      }
    }
    // The other host's frames are on the bridge and the uplink only: more there than at the container's own hops.
    for (const name of ['shared-bridge', 'udp-no-snat-busy']) {
      const { summary } = await fixture(name);
      expect(summary.otherFlows, name).toBe(1);
      expect(summary.packetsPerHop[2], name).toBeGreaterThan(summary.packetsPerHop[1]);
    }
  });

  it('warnings: "Problems met while reading or capturing that did not stop the trace, e.g. a file cut short": ping-out with its first file cut short by 10 bytes (none in any fixture)', async () => {
    for (const name of NAMES) expect((await fixture(name)).summary.warnings, name).toEqual([]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-cut-'));
    for (const file of fs.readdirSync(path.join(FIXTURES, 'ping-out'))) fs.copyFileSync(path.join(FIXTURES, 'ping-out', file), path.join(dir, file));
    const cut = path.join(dir, '01-c1-eth0.pcap');
    fs.truncateSync(cut, fs.statSync(cut).size - 10);
    const report = await reportOf(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(report.summary.warnings).toHaveLength(1);
    expect(report.summary.warnings[0]).toContain('01-c1-eth0.pcap');
    expect(report.summary.packetsPerHop).toEqual([5, 6, 6, 6]);
  });

  it('causes: "host (... host.json beside a recorded one) or none (captures without the host\'s state ...)"; a flow\'s cause: "Why a not-ok verdict happened (absent without the host\'s state), or, on an ok flow, the relay it continues" (the command as run: causes are attached there)', async () => {
    expect(flowSchema.cause.description).toMatch(/^Why a not-ok verdict happened \(absent without the host's state\), or, on an ok flow, the relay it continues/);
    const { spawnSync } = await import('node:child_process');
    const withHost = NAMES.filter((name) => fs.existsSync(path.join(FIXTURES, name, 'host.json')));
    expect(withHost.length).toBeGreaterThan(0);
    for (const name of [...withHost, 'ping-out', 'reject-icmp', 'no-masquerade', 'forward-off-fast']) {
      const run = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'hoptrace.js'), 'replay', `fixtures/${name}`, '--json'], { cwd: ROOT, encoding: 'utf8' });
      const report = JSON.parse(run.stdout);
      const host = withHost.includes(name);
      expect(report.causes.evidence, name).toBe(host ? 'host' : 'none');
      for (const flow of report.flows) {
        if (flow.verdict === 'ok') expect(flow.cause?.kind ?? 'relay', `${name}: an ok flow's cause`).toBe('relay');
        else expect(flow.cause !== undefined, `${name}: flow ${flow.id} ${flow.verdict}`).toBe(host);
        if (!host) for (const rewrite of flow.rewrites) expect(rewrite.cause, name).toBeUndefined();
      }
    }
  }, 60_000);
});

describe('hops', () => {
  it('file: "Capture file of this hop"; kernel: "Live reports only" (absent from every replay); host: "in a trace across several hosts" (absent from every single-host fixture)', async () => {
    for (const name of NAMES) {
      const report = await fixture(name);
      report.hops.forEach((hop: Json, i: number) => {
        expect(path.resolve(ROOT, hop.file), name).toBe(path.join(FIXTURES, name, pathJson(name).hops[i]!.file));
        expect(hop.kernel, name).toBeUndefined();
        expect(hop.host, name).toBeUndefined();
        expect(hop.clockUncertaintyUs, name).toBeUndefined();
      });
    }
  });

  it('host and clockUncertaintyUs on a trace across two hosts (overlay-ping): without compared clocks no step between the hosts has a latency; with them the step is there, rounded to its uncertaintyUs, the sum of both hops\' (and steps on one host have none)', async () => {
    expect(schema.$defs.hop.properties.clockUncertaintyUs.description).toMatch(/Absent when the clocks were not compared .*: then no latency is given between hops on two hosts/);
    const plain = await reportOf(path.join(OVERLAY, 'overlay-ping'));
    const hostOf = new Map(plain.hops.map((h: Json) => [h.name, h.host]));
    expect(new Set(hostOf.values())).toEqual(new Set(['h1', 'h2']));
    const crossing = (flow: Json) => flow.latency.filter((l: Json) => hostOf.get(l.between[0]) !== hostOf.get(l.between[1]));
    expect(plain.flows[0].latency.length).toBeGreaterThan(0);
    expect(crossing(plain.flows[0])).toEqual([]);
    expect(plain.flows[0].latency.filter((l: Json) => 'uncertaintyUs' in l)).toEqual([]);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-clocks-'));
    for (const file of fs.readdirSync(path.join(OVERLAY, 'overlay-ping'))) fs.copyFileSync(path.join(OVERLAY, 'overlay-ping', file), path.join(dir, file));
    const doc = JSON.parse(fs.readFileSync(path.join(dir, 'path.json'), 'utf8'));
    for (const hop of doc.hops) hop.clockUncertaintyUs = hop.host === 'h1' ? 40 : 60;
    fs.writeFileSync(path.join(dir, 'path.json'), JSON.stringify(doc));
    const compared = await reportOf(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(compared.hops.map((h: Json) => h.clockUncertaintyUs)).toEqual(doc.hops.map((h: Json) => h.clockUncertaintyUs));
    const steps = crossing(compared.flows[0]);
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) {
      expect(step.uncertaintyUs).toBe(100);
      for (const us of [step.minUs, step.avgUs, step.maxUs]) expect(us % 100).toBe(0);
    }
    expect(compared.flows[0].latency.filter((l: Json) => !steps.includes(l)).every((l: Json) => !('uncertaintyUs' in l))).toBe(true);
  });
});

describe('flows', () => {
  it('proto: "tcp, udp, icmp, icmpv6, or ip-proto-N"; initiator: "address or address:port ([v6]:port)"', async () => {
    expect(flowSchema.proto.description).toBe('tcp, udp, icmp, icmpv6, or ip-proto-N.');
    for (const [name, , flow] of await everyFlow()) {
      expect(flow.proto, name).toMatch(/^(tcp|udp|icmp|icmpv6|ip-proto-\d+)$/);
      for (const end of [flow.initiator, flow.responder]) {
        if (flow.proto === 'tcp' || flow.proto === 'udp') expect(end, name).toMatch(/^(\d+\.\d+\.\d+\.\d+|\[[0-9a-f:]+\]):\d+$/);
        else expect(end, name).toMatch(/^(\d+\.\d+\.\d+\.\d+|[0-9a-f:]+)$/);
      }
    }
    expect((await fixture('ipv6-global')).flows[0].proto).toBe('icmpv6');
  });

  it('initiator: "of the side that spoke first, as first seen": published-port\'s client and the published address before DNAT, ping-out\'s container before SNAT', async () => {
    const inbound = (await fixture('published-port')).flows[0];
    const uplink = framesOf('published-port')[3]!.find((f) => f.ip?.proto === 6)!;
    expect([inbound.initiator, inbound.responder]).toEqual([`${uplink.ip!.src}:${uplink.ip!.l4.readUInt16BE(0)}`, `${uplink.ip!.dst}:${uplink.ip!.l4.readUInt16BE(2)}`]);
    const first = framesOf('ping-out')[0]![0]!;
    expect((await fixture('ping-out')).flows[0]).toMatchObject({ initiator: first.ip!.src, responder: first.ip!.dst });
  });

  it('verdict: each word of the description is a value of the enum, and each meaning holds on every fixture flow', async () => {
    expect(listedWords(flowSchema.verdict.description)).toEqual(flowSchema.verdict.enum);
    const seen = new Set<string>();
    for (const [name, , flow] of await everyFlow()) {
      seen.add(flow.verdict);
      const codes = flow.findings.map((f: Json) => f.code);
      const at = `${name}: ${flow.verdict}`;
      if (flow.verdict === 'ok') expect([flow.packets.reply > 0, flow.dropBetween, codes.includes('rejected')], at).toEqual([true, null, false]);
      if (flow.verdict === 'partial') expect(flow.packets.reply, at).toBeGreaterThan(0);
      if (flow.verdict === 'no-reply') expect(flow.packets.reply, at).toBe(0);
      if (flow.verdict === 'dropped') expect(flow.dropBetween?.[0], at).toBe(flow.reached);
      if (flow.verdict === 'rejected') expect(codes, at).toContain('rejected');
      // "the answer vanished on its way back": some reply was seen, and where it vanished is placed between two hops.
      if (flow.verdict === 'reply-dropped') expect([flow.packets.reply > 0, flow.dropBetween?.length], at).toEqual([true, 2]);
    }
    // Every verdict is held by some fixture (reply-dropped by the reply-dropped recordings).
    expect([...seen].sort()).toEqual([...flowSchema.verdict.enum].sort());
  });

  it('reached: "Farthest hop the initiator\'s packets were seen at": the last hop along the path whose file holds an echo request (every ICMP fixture)', async () => {
    for (const name of NAMES) {
      const flow = (await fixture(name)).flows[0];
      if (!flow.proto.startsWith('icmp')) continue;
      const hops = pathJson(name).hops;
      const withRequest = framesOf(name).map((frames) => frames.some((f) => [8, 128].includes(icmpOf(f)?.type ?? -1)));
      expect(flow.reached, name).toBe(hops[withRequest.lastIndexOf(true)]!.name);
    }
  });

  it('dropBetween: "For dropped and reply-dropped, and partial when packets vanished on the path" (null for every other verdict; half-answered is partial without vanishing on the path)', async () => {
    for (const [name, , flow] of await everyFlow()) {
      const vanishedOnPath = flow.findings.some((f: Json) => f.code === 'partial-loss' && f.between);
      const expected = ['dropped', 'reply-dropped'].includes(flow.verdict) || (flow.verdict === 'partial' && vanishedOnPath);
      expect(flow.dropBetween !== null, name).toBe(expected);
    }
  });

  it('between: "Two hops in the order the packet crossed them": requests move towards `reached`, replies away from it (inbound published-port too)', async () => {
    for (const [name, report, flow] of await everyFlow()) {
      const index = (hop: string) => report.hops.findIndex((h: Json) => h.name === hop);
      const toward = (b: string[]) => Math.abs(index(b[1]!) - index(flow.reached)) < Math.abs(index(b[0]!) - index(flow.reached));
      for (const entry of [...flow.rewrites, ...flow.ttl, ...flow.latency]) {
        expect(toward(entry.between), `${name}: ${entry.direction} ${entry.between}`).toBe(entry.direction === 'request');
      }
      // Past `reached`, the way the requests went (forward-off-fast: docker0 then eth0).
      if (flow.verdict === 'dropped') expect(Math.sign(index(flow.dropBetween[1]) - index(flow.dropBetween[0])), name).toBe(Math.sign(index(flow.reached)));
    }
  });

  it('ttl: "decrements seen between two hops; one entry per distinct value", as the fixtures\' TTLs give them (ping-out: 1 between docker0 and eth0, 0 elsewhere)', async () => {
    for (const [name, , flow] of await everyFlow()) {
      const keys = flow.ttl.map((t: Json) => JSON.stringify([t.between, t.direction, t.decrement]));
      expect(new Set(keys).size, name).toBe(keys.length);
    }
    const frames = framesOf('ping-out');
    const ttlOf = (hop: number, type: number, seq: number) => frames[hop]!.find((f) => icmpOf(f)?.type === type && icmpOf(f)?.seq === seq)!.ip!.ttl;
    const names = pathJson('ping-out').hops.map((h) => h.name);
    const expected = [0, 1, 2].flatMap((i) => [
      { between: [names[i], names[i + 1]], direction: 'request', decrement: ttlOf(i, 8, 1) - ttlOf(i + 1, 8, 1) },
    ]);
    const requests = (await fixture('ping-out')).flows[0].ttl.filter((t: Json) => t.direction === 'request');
    expect(requests).toEqual(expected);
    expect(expected.map((t) => t.decrement)).toEqual([0, 0, 1]);
  });

  it('latency: "Time from one hop to the next, in microseconds, by the capture timestamps": ping-out\'s request steps from the files\' timestamps, per echo', async () => {
    const frames = framesOf('ping-out');
    const names = pathJson('ping-out').hops.map((h) => h.name);
    const latency = (await fixture('ping-out')).flows[0].latency;
    for (let i = 0; i < 3; i++) {
      const at = (hop: number, seq: number) => frames[hop]!.find((f) => icmpOf(f)?.type === 8 && icmpOf(f)?.seq === seq)!.tsUs;
      const seqs = frames[0]!.flatMap((f) => (icmpOf(f)?.type === 8 ? [icmpOf(f)!.seq] : []));
      const us = seqs.map((seq) => at(i + 1, seq) - at(i, seq));
      const step = latency.find((l: Json) => l.direction === 'request' && l.between[0] === names[i]);
      expect(step).toMatchObject({ between: [names[i], names[i + 1]], samples: seqs.length, minUs: Math.min(...us), maxUs: Math.max(...us) });
      expect(step.avgUs).toBeCloseTo(us.reduce((a, b) => a + b, 0) / us.length, 1);
    }
  });

  it('firstSeen: "Seconds since the trace\'s first frame" (ping-out: its first echo is the first frame; lastSeen its last reply)', async () => {
    const all = framesOf('ping-out').flat().map((f) => f.tsUs);
    const flow = (await fixture('ping-out')).flows[0];
    expect(flow.firstSeen).toBe(0);
    expect(flow.lastSeen).toBeCloseTo((Math.max(...all) - Math.min(...all)) / 1e6, 6);
  });

  it('tunnels: "absent when none": no fixture flow crosses a tunnel; overlay-ping\'s does, VXLAN', async () => {
    for (const [name, , flow] of await everyFlow()) expect('tunnels' in flow, name).toBe(false);
    const overlay = await reportOf(path.join(OVERLAY, 'overlay-ping'));
    expect(overlay.flows[0].tunnels.steps.map((s: Json) => s.kind)).toContain('vxlan');
  });
});

describe('findings', () => {
  it('"One entry per code and place"', async () => {
    for (const [name, , flow] of await everyFlow()) {
      const keys = flow.findings.map((f: Json) => JSON.stringify([f.code, f.direction, f.between, f.at, f.beyond]));
      expect(new Set(keys).size, name).toBe(keys.length);
    }
  });

  it('rejected: count is "ICMP errors and resets that came back" (those reaching the container\'s hop); answer carries the error\'s type, code and source, no MTU but for a too-big; side path: `between` starting at `reached`, with the netns; beyond: `beyond` is `reached`', async () => {
    expect(listedWords(flowSchema.findings.items.oneOf[0].properties.side.description)).toEqual(['path', 'destination', 'beyond']);
    const checked: string[] = [];
    for (const [name, report, flow] of await everyFlow()) {
      const rejected = flow.findings.find((f: Json) => f.code === 'rejected');
      if (!rejected) continue;
      checked.push(`${name}:${rejected.side}`);
      const answers = framesOf(name)[0]!.filter((f) => (icmpOf(f) && ![0, 8, 128, 129].includes(icmpOf(f)!.type)) || ((tcpFlags(f) ?? 0) & 0x04) !== 0);
      expect(rejected.count, name).toBe(answers.length);
      const first = answers[0]!;
      if (rejected.answer.kind === 'icmp-error') {
        expect(rejected.answer, name).toEqual({ kind: 'icmp-error', v6: first.ip!.v === 6, type: icmpOf(first)!.type, code: icmpOf(first)!.code, from: first.ip!.src });
      } else {
        expect(rejected.answer, name).toEqual({ kind: 'tcp-reset', from: first.ip!.src });
      }
      if (rejected.side === 'path') expect([rejected.between[0], rejected.netns], name).toEqual([flow.reached, report.hops.find((h: Json) => h.name === rejected.between[1]).netns]);
      else expect(rejected.netns, name).toBeUndefined();
      if (rejected.side === 'beyond') expect(rejected.beyond, name).toBe(flow.reached);
    }
    // side destination is in no fixture.
    expect(checked.sort()).toEqual(CHECKED_REJECTIONS);
  });

  it('reset-close: "The connection was answered, then ended by a TCP reset from one side: a close, not a rejection" (reset-after-answer, recorded both ways): the reset in the bytes comes after a reply, from the side named', async () => {
    const seen: string[] = [];
    for (const [name, , flow] of await everyFlow()) {
      const close = flow.findings.find((f: Json) => f.code === 'reset-close');
      if (!close) continue;
      seen.push(name);
      const frames = framesOf(name)[0]!.filter((f) => f.ip?.proto === 6);
      const reset = frames.findIndex((f) => ((tcpFlags(f) ?? 0) & 0x04) !== 0);
      const responder = addressOf(flow.responder);
      expect(reset, name).toBeGreaterThan(frames.findIndex((f) => f.ip!.src === responder));
      expect(close.from, name).toBe(frames[reset]!.ip!.src);
      expect(close.side, name).toBe(close.from === responder ? 'responder' : 'initiator');
      expect([flow.verdict, flow.findings.some((f: Json) => f.code === 'rejected')], name).toEqual(['ok', false]);
    }
    expect(seen.sort()).toEqual(['record-reset-after-answer', 'reset-after-answer']);
  });

  it('direction: "reply: the responder\'s (including ICMP errors about the flow)": reject-icmp\'s replies are its three ICMP errors, there being no echo reply', async () => {
    const frames = framesOf('reject-icmp')[0]!;
    expect(frames.filter((f) => icmpOf(f)?.type === 0)).toEqual([]);
    expect((await fixture('reject-icmp')).flows[0].packets.reply).toBe(frames.filter((f) => icmpOf(f)?.type === 3).length);
  });

  it('no-snat: "Requests leave `at` with the container\'s own unroutable source and no reply came" (no-masquerade, udp-no-snat-busy)', async () => {
    for (const name of ['no-masquerade', 'udp-no-snat-busy']) {
      const report = await fixture(name);
      const flow = report.flows[0];
      const finding = flow.findings.find((f: Json) => f.code === 'no-snat');
      const at = report.hops.findIndex((h: Json) => h.name === finding.at);
      const own = report.hops[0].addrs[0];
      expect([finding.src, flow.packets.reply], name).toEqual([own, 0]);
      expect(framesOf(name)[at]!.filter((f) => f.ip?.src === own).length, name).toBe(flow.packets.request);
    }
  });

  it('unanswered: "Echo requests that reached the end of their travel and got no reply"; in-flight beyond: "Requests that had left this hop, the end of their travel" (half-answered)', async () => {
    const flow = (await fixture('half-answered')).flows[0];
    const unanswered = flow.findings.find((f: Json) => f.code === 'unanswered');
    const frames = framesOf('half-answered')[3]!;
    const asked = frames.filter((f) => icmpOf(f)?.type === 8).map((f) => icmpOf(f)!.seq);
    const answered = new Set(frames.filter((f) => icmpOf(f)?.type === 0).map((f) => icmpOf(f)!.seq));
    const inFlight = flow.findings.find((f: Json) => f.code === 'in-flight');
    expect(unanswered.beyond).toBe(flow.reached);
    expect(inFlight.beyond).toBe(flow.reached);
    expect(unanswered.of).toBe(asked.length);
    expect(unanswered.count + inFlight.count).toBe(asked.filter((seq) => !answered.has(seq)).length);
  });
});

describe('report-lines.schema.json', () => {
  it('"Every line but the last is one flow ... exactly the form of an element of `flows`"; the last is {summary, flows: N, notOk: M}', async () => {
    const { spawnSync } = await import('node:child_process');
    for (const name of ['ping-out', 'reject-icmp']) {
      const run = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'hoptrace.js'), 'replay', `fixtures/${name}`, '--jsonl'], { cwd: ROOT, encoding: 'utf8' });
      expect(run.stdout.endsWith('\n'), name).toBe(true);
      const lines = run.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
      const report = await fixture(name);
      const last = lines.pop();
      expect(lines, name).toEqual(report.flows);
      expect(last, name).toEqual({ summary: report.summary, flows: report.flows.length, notOk: report.flows.filter((f: Json) => f.verdict !== 'ok').length });
    }
  });
});

function addressOf(endpoint: string): string {
  return /^\[(.*)\]:\d+$/.exec(endpoint)?.[1] ?? /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(endpoint)?.[1] ?? endpoint;
}
