// An ICMP error the Docker host made itself names its reason, through the real command:
// time to live exceeded, no route (an unreachable route, no default route), fragmentation
// needed with the uplink's MTU. Each capture also holds a flow where no such claim may
// appear (the same traffic with one more hop of TTL, a packet that fits, a blackhole route,
// which drops without answering). Root only; every destination is the lab's outside host.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../live/support.js';
import { causeLab, labSkipReason, testContainer, type CauseLab } from './support.js';
import { failing, Recordings, whyLines, type JsonFlow } from './cli.js';

const skip = labSkipReason();
const ONE_HOP_SHORT = 'why: the Docker host answered: time to live exceeded (TTL 1 or less at docker0: too little to forward them)';

describe.skipIf(skip)(`ICMP errors made by the Docker host, through the hoptrace command${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 120_000 }, () => {
  let l: CauseLab;
  let OUT = '';
  let rec: Recordings;
  beforeAll(() => {
    buildCli();
    l = causeLab();
    l.restore();
    OUT = l.lab.env.outsideAddr;
    rec = new Recordings(() => ({ DOCKER_HOST: l.lab.env.dockerHost }));
  }, 300_000);
  afterEach(() => {
    l.lab.exec('host', `ip link set eth0 mtu 1500; ip route del ${OUT}/32 2>/dev/null; ip route replace default via ${OUT} dev eth0; true`);
    l.lab.exec('outside', 'ip link set eth0 mtu 1500');
    l.restore();
  });
  afterAll(() => rec?.remove());

  const flowTo = (flows: JsonFlow[], verdict: string): JsonFlow => flows.find((f) => f.proto === 'icmp' && f.verdict === verdict)!;

  it('TTL 1: "time to live exceeded" at docker0; the same ping with TTL 2 is answered and has no such line', async () => {
    testContainer(l, 'whyt1');
    const t = await rec.watch(['whyt1', 'icmp'], () => {
      failing(() => l.lab.docker('exec', 'whyt1', 'ping', '-c', '2', '-i', '0.3', '-W', '1', '-t', '1', OUT));
      l.lab.docker('exec', 'whyt1', 'ping', '-c', '1', '-W', '2', '-t', '2', OUT);
    }, 1);
    expect(t.live).toContain(`  verdict: rejected: ICMP time exceeded in transit (TTL 0) made by the Docker host, between docker0 and eth0; the error carries 198.18.0.1's address but never crossed eth0.\n  ${ONE_HOP_SHORT}\n`);
    // Under the answered flow: only its SNAT and the SNAT undone.
    expect(whyLines(t.live).filter((w) => w.includes('answered'))).toEqual([ONE_HOP_SHORT]);
    const rejected = flowTo(t.json.flows, 'rejected');
    expect(rejected.cause).toEqual({
      kind: 'route', detail: { type: 'host-icmp', reason: 'ttl-expired', at: 'docker0', icmp: { v6: false, type: 11, code: 0 } },
      evidence: { counters: [], conntrack: [], sysctls: {} },
    });
    const ok = flowTo(t.json.flows, 'ok');
    expect(ok.cause).toBeUndefined();
    expect(ok.rewrites.map((r) => r.cause?.detail.type)).toEqual(['nat-rule', 'nat-rule']);
  });

  it('an unreachable route to the destination: "no route" with the route lookup; a blackhole route drops without an answer', () => {
    const ip = testContainer(l, 'whyt2');
    l.lab.exec('host', ['ip', 'route', 'add', 'unreachable', `${OUT}/32`]);
    const t = rec.run(['ping', 'whyt2', OUT, '--count', '2', '--interval', '0.3'], 1);
    const line = `why: the Docker host answered: no route (ICMP host unreachable): \`ip route get ${OUT} from ${ip} iif docker0\`: No route to host`;
    expect(whyLines(t.live)).toEqual([line]);
    expect(t.json.flows[0]!.verdict).toBe('rejected');
    expect(t.json.flows[0]!.cause).toMatchObject({
      kind: 'route', detail: { type: 'host-icmp', reason: 'no-route', at: 'docker0', icmp: { v6: false, type: 3, code: 1 }, probe: { dst: OUT, from: ip, iif: 'docker0' } },
    });
    l.lab.exec('host', `ip route del ${OUT}/32 && ip route add blackhole ${OUT}/32`);
    const b = rec.run(['ping', 'whyt2', OUT, '--count', '2', '--interval', '0.3'], 1);
    expect(b.json.flows[0]!.verdict).toBe('no-reply');
    expect(whyLines(b.live)).toEqual([`why: no route for them: \`ip route get ${OUT} from ${ip} iif docker0\`: Invalid argument`]);
    expect(b.live).not.toContain('answered');
  });

  it('no default route on the Docker host: "no route" (network unreachable) for an address beyond the uplink\'s subnet', () => {
    const ip = testContainer(l, 'whyt3');
    const far = l.lab.env.internetAddr;
    l.lab.exec('host', ['ip', 'route', 'del', 'default']);
    const t = rec.run(['ping', 'whyt3', far, '--count', '2', '--interval', '0.3'], 1);
    expect(whyLines(t.live)).toEqual([`why: the Docker host answered: no route (ICMP network unreachable): \`ip route get ${far} from ${ip} iif docker0\`: Network is unreachable`]);
    expect(t.json.flows[0]!.cause).toMatchObject({ kind: 'route', detail: { type: 'host-icmp', reason: 'no-route', icmp: { type: 3, code: 0 } } });
  });

  it('a DF packet bigger than the uplink\'s lowered MTU: "fragmentation needed" with the MTU of eth0; a packet that fits has no such line', async () => {
    testContainer(l, 'whyt4');
    for (const ns of ['host', 'outside'] as const) l.lab.exec(ns, ['ip', 'link', 'set', 'eth0', 'mtu', '1400']);
    const t = await rec.watch(['whyt4', 'icmp'], () => {
      failing(() => l.lab.docker('exec', 'whyt4', 'ping', '-c', '1', '-W', '1', '-s', '1450', OUT));
      l.lab.docker('exec', 'whyt4', 'ping', '-c', '1', '-W', '2', '-s', '100', OUT);
    }, 1);
    const line = "why: the Docker host answered: fragmentation needed (MTU 1400): the packets are larger than the MTU 1400 of eth0 and they have don't-fragment set";
    expect(whyLines(t.live).filter((w) => w.includes('answered'))).toEqual([line]);
    expect(flowTo(t.json.flows, 'rejected').cause).toMatchObject({
      kind: 'route', detail: { type: 'host-icmp', reason: 'frag-needed', at: 'docker0', icmp: { v6: false, type: 3, code: 4 }, mtu: 1400, outIface: 'eth0', ifaceMtu: 1400 },
    });
    expect(flowTo(t.json.flows, 'ok').cause).toBeUndefined();
  });
});
