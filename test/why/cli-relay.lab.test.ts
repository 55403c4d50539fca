// docker-proxy's relay through the real command: `hoptrace watch` of a container with a
// published port captures the host's lo too (off the path); a wget from the Docker host
// itself to 127.0.0.1:8080 is answered by docker-proxy, which connects from docker0's address
// to the container. The relayed flow says so, with the proxy's pid as `ss -tlnp` shows it in
// dockerd's namespace; the outside host's DNATed fetch of the same port in the same capture
// is not called a relay. Root only; every address is the lab's.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../live/support.js';
import { causeLab, labSkipReason, testContainer, type CauseLab } from './support.js';
import { Recordings, whyLines } from './cli.js';

const skip = labSkipReason();

describe.skipIf(skip)(`docker-proxy relays through the hoptrace command${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 120_000 }, () => {
  let l: CauseLab;
  let rec: Recordings;
  beforeAll(() => {
    buildCli();
    l = causeLab();
    l.restore();
    rec = new Recordings(() => ({ DOCKER_HOST: l.lab.env.dockerHost }));
  }, 300_000);
  afterEach(() => l.restore());
  afterAll(() => rec?.remove());

  it('a fetch of the published port from the host: "relayed by docker-proxy (pid N)"; the DNATed fetch from outside: no relay', async () => {
    const ip = testContainer(l, 'whyr1', ['-p', '8080:80'], ['httpd', '-f', '-p', '80', '-h', '/var/www']);
    l.lab.waitForListen('container:whyr1', 80);
    const proxy = l.lab.exec('host', ['ss', '-tlnpH', 'sport = :8080']);
    const pid = /"docker-proxy",pid=(\d+)/.exec(proxy)?.[1];
    expect(pid, proxy).toBeDefined();
    const up = l.lab.env.uplinkAddr;
    const t = await rec.watch(['whyr1'], () => {
      l.lab.exec('host', ['busybox', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/']);
      l.lab.exec('outside', ['busybox', 'wget', '-q', '-O', '/dev/null', `http://${up}:8080/`]);
    }, 0);
    // lo was captured (the recording has its pcap) but is not a hop of the path.
    expect(t.json.hops.map((h) => h.role)).toEqual(['container', 'veth', 'bridge', 'uplink']);
    const relayed = t.json.flows.find((f) => f.initiator.startsWith('198.18.0.1:'))!;
    expect(relayed).toMatchObject({ proto: 'tcp', responder: `${ip}:80`, verdict: 'ok' });
    const d = relayed.cause!.detail as unknown as { front: { sport: number }; back: { sport: number }; bytes: number; delayUs: number };
    expect(relayed.cause).toMatchObject({
      kind: 'relay',
      detail: { type: 'relay', front: { src: '127.0.0.1', dst: '127.0.0.1', dport: 8080 }, back: { src: '198.18.0.1', dst: ip, dport: 80 }, process: 'docker-proxy', pid: Number(pid) },
    });
    // busybox wget's request: "GET / HTTP/1.1", Host, User-Agent, Connection: close.
    expect(d.bytes).toBe(77);
    expect(d.delayUs).toBeLessThan(1_000_000);
    expect(relayed.initiator).toBe(`198.18.0.1:${d.back.sport}`);
    const delay = d.delayUs < 1000 ? `${d.delayUs} us` : `${(d.delayUs / 1000).toFixed(1)} ms`;
    const line = `why: relayed by docker-proxy (pid ${pid}): 127.0.0.1:${d.front.sport} -> 127.0.0.1:8080 became 198.18.0.1:${d.back.sport} -> ${ip}:80 (the same first 77 bytes, ${delay} later)`;
    expect(whyLines(t.live).filter((w) => w.includes('relayed'))).toEqual([line]);
    expect(t.live).toContain(`  verdict: ok: requests reached whyr1 eth0 and the answers came back.\n  ${line}\n`);
    // The outside host's fetch: a DNAT with its rule, and no relay.
    const dnat = t.json.flows.find((f) => f.initiator.startsWith(`${l.lab.env.outsideAddr}:`))!;
    expect(dnat.verdict).toBe('ok');
    expect(dnat.cause).toBeUndefined();
    expect(dnat.rewrites.map((r) => r.cause?.detail.type)).toEqual(['nat-rule', 'nat-rule', 'nat-rule', 'nat-rule']);
  });

  it('a container without published ports: no lo capture, nothing relayed', async () => {
    testContainer(l, 'whyr2');
    const t = await rec.watch(['whyr2'], () => {
      l.lab.docker('exec', 'whyr2', 'ping', '-c', '1', '-W', '2', l.lab.env.outsideAddr);
    }, 0);
    expect(t.json.hops.map((h) => h.name)).not.toContain('lo');
    expect(t.live).not.toContain('relayed');
  });
});
