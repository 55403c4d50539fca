// Both Docker engines of the lab come up and do NAT: bookworm's 20.10 (IPv4 MASQUERADE, no
// ip6tables) and unstable's 28.5 (IPv4 MASQUERADE and NAT66 MASQUERADE for a ULA subnet).
// Needs root; the 28 part needs /opt/ht-engine-28 (scripts/setup.sh). Each engine gets a lab
// of its own id, beside the one of $HT_LAB_ID.
import { afterAll, describe, expect, it } from 'vitest';
import { createLab, labUnavailableReason, type Lab, type LabEngine } from './lab.js';

const LAB_ID = `${process.env.HT_LAB_ID ?? ''}e`.slice(0, 6);

function engineSuite(engine: LabEngine, check: (lab: Lab) => void): void {
  const reason = labUnavailableReason(engine);
  describe.skipIf(reason !== null)(`Docker engine ${engine}${reason ? ` - skipped: ${reason}` : ''}`, () => {
    let lab: Lab | undefined;
    afterAll(() => lab?.down(), 120_000);
    it(`comes up as ${engine} and NATs a container's ping to the outside host`, () => {
      lab = createLab(LAB_ID, engine);
      lab.down();
      lab.up();
      expect(lab.env.engine).toBe(engine);
      const version = lab.docker('version', '--format', '{{.Server.Version}}').trim();
      expect(version.startsWith(engine === '28' ? '28.5.' : '20.10.')).toBe(true);
      lab.docker('run', '-d', '--name', 'c1', lab.env.image, 'sleep', '600');
      const out = lab.docker('exec', 'c1', 'ping', '-c', '2', '-W', '2', lab.env.outsideAddr);
      expect(out).toContain('2 packets transmitted, 2 packets received');
      expect(lab.exec('host', ['iptables', '-t', 'nat', '-S'])).toContain('-A POSTROUTING -s 198.18.0.0/24 ! -o docker0 -j MASQUERADE');
      check(lab);
    }, 240_000);
  });
}

const v6Network = (lab: Lab, name: string, v4: string, v6: string): string => {
  lab.docker('network', 'create', '--ipv6', '--subnet', v4, '--subnet', v6, name);
  return lab.docker('network', 'inspect', '-f', '{{.Id}}', name).trim().slice(0, 12);
};

engineSuite('20.10', (lab) => {
  // No ip6tables on 20.10: a globally routed IPv6 subnet leaves with its own addresses.
  v6Network(lab, 'v6g', '198.18.6.0/24', lab.env.v6GlobalSubnet);
  lab.docker('run', '-d', '--name', 'c6', '--network', 'v6g', lab.env.image, 'sleep', '600');
  const out = lab.docker('exec', 'c6', 'ping', '-c', '2', '-W', '3', lab.env.outsideAddr6);
  expect(out).toContain('2 packets transmitted, 2 packets received');
  expect(lab.exec('host', ['ip6tables', '-t', 'nat', '-S'])).not.toContain('MASQUERADE');
});

engineSuite('28', (lab) => {
  // 28 turns on ip6tables: a ULA subnet nobody routes to gets out by NAT66 MASQUERADE.
  const bridge = `br-${v6Network(lab, 'v6u', '198.18.7.0/24', lab.env.v6UlaSubnet)}`;
  lab.docker('run', '-d', '--name', 'c6', '--network', 'v6u', lab.env.image, 'sleep', '600');
  const out = lab.docker('exec', 'c6', 'ping', '-c', '2', '-W', '3', lab.env.outsideAddr6);
  expect(out).toContain('2 packets transmitted, 2 packets received');
  expect(lab.exec('host', ['ip6tables', '-t', 'nat', '-S'])).toContain(`-A POSTROUTING -s ${lab.env.v6UlaSubnet} ! -o ${bridge} -j MASQUERADE`);
});
