// IPv6 attribution through the real command on Docker 28, which writes ip6tables rules and
// NAT66 for an --ipv6 network by default: an ip6tables DROP in DOCKER-USER, and
// net.ipv6.conf.all.forwarding = 0, each with its exact why: line and JSON cause; the same
// ping without either is answered and has no why: line under its verdict. The container is
// on a ULA network (fd00:18:1::/64); the destination is the lab's outside host 2001:db8::2.
// Runs in the lab-engine28 project (vitest.config.ts); on 20.10 (no ip6tables) it skips.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../live/support.js';
import { causeLab, labSkipReason, testContainer, type CauseLab } from './support.js';
import { engine28Unavailable } from './engine28.js';
import { Recordings, whyLines } from './cli.js';

const engine = process.env.HT_ENGINE === '28' ? '28' : '20.10';
const skip = labSkipReason() ?? (engine === '28' ? engine28Unavailable() : 'Docker 20.10 writes no ip6tables rules by default: run with HT_ENGINE=28 (the lab-engine28 project does)');

describe.skipIf(skip)(`IPv6 causes through the hoptrace command on Docker ${engine}${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 120_000 }, () => {
  let l: CauseLab;
  let rec: Recordings;
  let OUT6 = '';
  let savedV6 = '';
  let bridge = '';
  let ip6 = '';
  beforeAll(() => {
    buildCli();
    l = causeLab();
    l.restore();
    OUT6 = l.lab.env.outsideAddr6;
    savedV6 = l.lab.exec('host', ['ip6tables-save']);
    rec = new Recordings(() => ({ DOCKER_HOST: l.lab.env.dockerHost }));
    expect(l.lab.docker('version', '-f', '{{.Server.Version}}')).toMatch(/^28\./);
  }, 300_000);
  afterEach(() => {
    l.lab.exec('host', ['ip6tables-restore'], { input: savedV6 });
    l.lab.exec('host', ['sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1']);
    l.restore();
  });
  afterAll(() => rec?.remove());

  /** A container on a fresh ULA network (removed by restore with its network); its bridge and IPv6 address. */
  function v6Container(name: string): void {
    const id = l.lab.docker('network', 'create', '--label', 'ht-why', '--ipv6', '--subnet', '198.18.7.0/24', '--subnet', l.lab.env.v6UlaSubnet, 'whyv6').trim();
    bridge = `br-${id.slice(0, 12)}`;
    testContainer(l, name, ['--network', 'whyv6']);
    ip6 = l.lab.docker('inspect', '-f', '{{range .NetworkSettings.Networks}}{{.GlobalIPv6Address}}{{end}}', name).trim();
  }
  const ping = (name: string) => ['ping', name, OUT6, '--count', '2', '--interval', '0.3'];

  it('an ip6tables DROP in DOCKER-USER: names the rule and the 2 packets it counted', () => {
    v6Container('whyv6a');
    // Without the rule: answered through NAT66, and no why: line under the verdict.
    const ok = rec.run(ping('whyv6a'), 0);
    expect(ok.json.flows[0]).toMatchObject({ proto: 'icmpv6', verdict: 'ok' });
    expect(ok.json.flows[0]!.cause).toBeUndefined();
    expect(whyLines(ok.live).map((w) => w.split(' by ')[0])).toEqual(['why: source rewritten', 'why: reply rewritten']);
    l.lab.exec('host', ['ip6tables', '-I', 'DOCKER-USER', '-d', OUT6, '-p', 'ipv6-icmp', '-j', 'DROP']);
    const t = rec.run(ping('whyv6a'), 1);
    const rule = `-A DOCKER-USER -d ${OUT6}/128 -p ipv6-icmp -j DROP`;
    expect(t.live).toContain(`  verdict: dropped: requests vanished between ${bridge} and eth0 (last seen at ${bridge}).\n`);
    expect(whyLines(t.live)).toEqual([`why: dropped by a rule in chain DOCKER-USER of table filter (iptables-nft), which counted 2 packets during the trace: \`${rule}\``]);
    expect(t.json.flows[0]!.cause).toMatchObject({ kind: 'rule', detail: { type: 'drop-rule', rule: { text: rule, family: 6, chain: 'DOCKER-USER' }, packetsDelta: 2 } });
  });

  it('net.ipv6.conf.all.forwarding = 0: names the setting under the dropped verdict', () => {
    v6Container('whyv6b');
    l.lab.exec('host', ['sysctl', '-qw', 'net.ipv6.conf.all.forwarding=0']);
    const t = rec.run(ping('whyv6b'), 1);
    expect(t.json.flows[0]).toMatchObject({ proto: 'icmpv6', initiator: ip6, verdict: 'dropped' });
    expect(t.live).toContain(`  verdict: dropped: requests vanished between ${bridge} and eth0 (last seen at ${bridge}).\n  why: the host does not forward IPv6 packets: net.ipv6.conf.all.forwarding = 0\n`);
    expect(whyLines(t.live)).toEqual(['why: the host does not forward IPv6 packets: net.ipv6.conf.all.forwarding = 0']);
    expect(t.json.flows[0]!.cause).toEqual({
      kind: 'sysctl', detail: { type: 'forwarding-off', sysctl: 'net.ipv6.conf.all.forwarding', value: '0' },
      evidence: { counters: [], conntrack: [], sysctls: { 'net.ipv6.conf.all.forwarding': '0' } },
    });
  });
});
