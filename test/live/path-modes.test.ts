import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, docker, hoptrace, labUp, removeContainers, runContainer, skipReason, type LabEnv } from './support.js';

const skip = skipReason();
const tag = `htl-${process.pid}`;
const USER_NET = `${tag}-usernet`;
const MACVLAN = `${tag}-macvlan`;

function removeNetworks(lab: LabEnv | undefined, ...names: string[]): void {
  for (const name of names) {
    try {
      if (lab) docker(lab, 'network', 'rm', name);
    } catch {
      // not there
    }
  }
}

describe.skipIf(skip)(`hoptrace path on Docker's network modes${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: LabEnv | undefined;
  let bridgeId = '';
  beforeAll(() => {
    buildCli();
    lab = labUp();
    removeContainers(lab, `${tag}-u`, `${tag}-m`);
    removeNetworks(lab, USER_NET, MACVLAN);
    bridgeId = docker(lab, 'network', 'create', '--subnet', '198.18.3.0/24', USER_NET).slice(0, 12);
    docker(lab, 'network', 'create', '-d', 'macvlan', '-o', 'parent=eth0', '--subnet', '198.18.4.0/24', MACVLAN);
    runContainer(lab, `${tag}-u`, '--network', USER_NET);
    runContainer(lab, `${tag}-m`, '--network', MACVLAN);
  });
  afterAll(() => {
    removeContainers(lab, `${tag}-u`, `${tag}-m`);
    removeNetworks(lab, USER_NET, MACVLAN);
  });

  it('follows a user-defined bridge network through its br-<id> bridge and names its MASQUERADE rule', () => {
    const result = hoptrace(['path', `${tag}-u`, lab!.outsideAddr, '--json'], { DOCKER_HOST: lab!.dockerHost });
    expect(result.status, result.stderr).toBe(0);
    const path = JSON.parse(result.stdout);
    expect(path.mode).toBe('bridge');
    expect(path.hops.map((h: { role: string }) => h.role)).toEqual(['container', 'veth', 'bridge', 'uplink']);
    expect(path.hops[0]).toMatchObject({ name: `${tag}-u eth0`, addrs: ['198.18.3.2'], mtu: 1500 });
    expect(path.hops[2]).toMatchObject({ name: `br-${bridgeId}`, addrs: ['198.18.3.1'] });
    expect(path.hops[3]).toMatchObject({ name: 'eth0', addrs: [lab!.uplinkAddr, lab!.uplinkAddr6] });
    expect(path.route).toMatchObject({ dev: 'eth0', prefsrc: lab!.uplinkAddr });
    expect(path.natRules).toContain(`-A POSTROUTING -s 198.18.3.0/24 ! -o br-${bridgeId} -j MASQUERADE`);
  });

  it('follows a macvlan child to its parent on the host: two hops, no NAT rules read (was: not supported yet, exit 4)', () => {
    const result = hoptrace(['path', `${tag}-m`, '--json'], { DOCKER_HOST: lab!.dockerHost });
    expect(result.status, result.stderr).toBe(0);
    const path = JSON.parse(result.stdout);
    expect(path.mode).toBe('macvlan');
    expect(path.hops.map((h: { name: string; role: string }) => `${h.role} ${h.name}`)).toEqual(['container ' + `${tag}-m eth0`, 'host eth0']);
    expect(path.natRules).toEqual([]);
  });
});
