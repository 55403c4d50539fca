// The default bridge with IPv6 (dockerd --ipv6 --fixed-cidr-v6 fd00:18::/64) in a lab of its
// own (id $HT_LAB_ID + "6", engine $HT_ENGINE): on 28 the ULA source is NAT66ed like IPv4, and
// path lists the ip6tables rule; on 20.10 (no ip6tables) it leaves as it is: no-snat.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, labEngine, type Lab } from '../lab/lab.js';
import { inCidr } from '../../src/addresses.js';
import { buildCli, hoptrace, jsonReport, skipReason } from './support.js';

const skip = skipReason();
const engine = labEngine();
const LAB_ID = `${process.env.HT_LAB_ID ?? ''}6`.slice(0, 6);

describe.skipIf(skip)(`the default bridge docker0 with IPv6 on engine ${engine}${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: Lab;
  let v6 = '';
  beforeAll(() => {
    buildCli();
    lab = createLab(LAB_ID, engine, { docker0Ipv6: true });
    lab.up();
    lab.docker('run', '-d', '--name', 'c1', lab.env.image, 'sleep', '600');
    v6 = lab.docker('inspect', '-f', '{{.NetworkSettings.GlobalIPv6Address}}', 'c1').trim();
    // its address is tentative (duplicate address detection) for about a second
    for (let i = 0; i < 30 && lab.exec('container:c1', ['ip', '-6', 'addr', 'show', 'tentative']).includes(v6); i++) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }, 300_000);
  afterAll(() => lab?.down(), 120_000);

  it('gives the container a ULA address in fd00:18::/64', () => {
    expect(inCidr(v6, lab.env.docker0V6)).toBe(true);
  });

  it.runIf(engine === '28')('28: path shows the ip6tables MASQUERADE of docker0; the ping shows it as SNAT', () => {
    const path = JSON.parse(hoptrace(['path', 'c1', lab.env.outsideAddr6, '--json'], { DOCKER_HOST: lab.env.dockerHost }).stdout);
    expect(path.natRules).toContain(`-A POSTROUTING -s ${lab.env.docker0V6} ! -o docker0 -j MASQUERADE`);
    expect(path.natRules).toContain('-A POSTROUTING -s 198.18.0.0/24 ! -o docker0 -j MASQUERADE');
    const result = hoptrace(['ping', 'c1', lab.env.outsideAddr6, '--count', '3', '--interval', '0.2', '--json'], { DOCKER_HOST: lab.env.dockerHost });
    const report = jsonReport(result);
    expect(result.status, result.stderr).toBe(0);
    expect(report.flows[0]).toMatchObject({ proto: 'icmpv6', initiator: v6, verdict: 'ok', findings: [] });
    expect(report.flows[0]!.rewrites).toContainEqual({ between: ['docker0', 'eth0'], direction: 'request', field: 'src', from: v6, to: lab.env.uplinkAddr6 });
  });

  it.runIf(engine === '20.10')('20.10: no NAT66 rule, the ULA source leaves the uplink as it is: no-snat, no reply', () => {
    const path = JSON.parse(hoptrace(['path', 'c1', lab.env.outsideAddr6, '--json'], { DOCKER_HOST: lab.env.dockerHost }).stdout);
    expect(path.natRules.filter((r: string) => r.includes(':'))).toEqual([]);
    const result = hoptrace(['ping', 'c1', lab.env.outsideAddr6, '--count', '2', '--interval', '0.2', '--json'], { DOCKER_HOST: lab.env.dockerHost });
    const report = jsonReport(result);
    expect(result.status).toBe(1);
    expect(report.flows[0]).toMatchObject({ proto: 'icmpv6', initiator: v6, rewrites: [] });
    expect(report.flows[0]!.findings.map((f) => f.code)).toContain('no-snat');
  });
});
