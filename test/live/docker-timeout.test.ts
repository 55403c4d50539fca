// Connecting to Docker is bounded (issue 13): an endpoint that never answers ends in one error
// after --docker-timeout, saying what it waited for after a second; a host name that does not
// resolve fails at once. Root: the silent endpoint is 203.0.113.99 in a namespace of our own
// whose OUTPUT drops every packet to it, so no real outside address is ever tried.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, hoptrace, skipReason } from './support.js';

const skip = skipReason(false);
const NS = `htbh-${process.pid}`;

describe.skipIf(skip)(`waiting for Docker${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(() => {
    buildCli();
    const sh = (cmd: string): void => void execFileSync('sh', ['-c', cmd], { stdio: 'pipe' });
    sh(`ip netns add ${NS}`);
    sh(`ip -n ${NS} link set lo up && ip -n ${NS} link add v0 type veth peer name v1 && ip -n ${NS} link set v0 up && ip -n ${NS} link set v1 up`);
    sh(`ip -n ${NS} addr add 203.0.113.1/24 dev v0 && nsenter --net=/var/run/netns/${NS} iptables -A OUTPUT -d 203.0.113.99 -j DROP`);
  });
  afterAll(() => {
    execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
  });

  it('an endpoint that never answers: "connecting to Docker at ..." after a second, then one error at the timeout, exit 4', () => {
    const result = hoptrace(['path', 'c1', '--docker-timeout', '2'], { DOCKER_HOST: 'tcp://203.0.113.99:2375' }, 30_000, ['nsenter', `--net=/var/run/netns/${NS}`]);
    expect(result.status).toBe(4);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'hoptrace: connecting to Docker at tcp://203.0.113.99:2375 ...\n' +
        'hoptrace: Docker at tcp://203.0.113.99:2375 did not answer within 2 s (is dockerd listening there? --docker-timeout <seconds> waits longer)\n',
    );
  });

  it('a timeout shorter than a second gives up without the waiting line', () => {
    const result = hoptrace(['ping', 'c1', '203.0.113.2', '--docker-timeout', '0.5'], { DOCKER_HOST: 'tcp://203.0.113.99:2375' }, 30_000, ['nsenter', `--net=/var/run/netns/${NS}`]);
    expect(result.status).toBe(4);
    expect(result.stderr.split('\n')[0]).toBe('hoptrace: Docker at tcp://203.0.113.99:2375 did not answer within 0.5 s (is dockerd listening there? --docker-timeout <seconds> waits longer)');
  });

  // In our namespace no name server can be asked: the lookup fails at once (EAI_AGAIN).
  it('a host name that cannot be looked up fails at once, naming it', () => {
    const result = hoptrace(['path', 'c1'], { DOCKER_HOST: 'tcp://docker.example.invalid:2375' }, 30_000, ['nsenter', `--net=/var/run/netns/${NS}`]);
    expect(result.status).toBe(4);
    expect(result.stderr).toBe(
      'hoptrace: cannot reach Docker at tcp://docker.example.invalid:2375: host name docker.example.invalid could not be looked up: no name server answered (EAI_AGAIN) (check DOCKER_HOST)\n',
    );
  });

  it('a bad --docker-timeout is a usage error, exit 2', () => {
    const result = hoptrace(['path', 'c1', '--docker-timeout', 'soon'], { DOCKER_HOST: 'tcp://203.0.113.99:2375' });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe("hoptrace: --docker-timeout must be a number, not 'soon'\n");
    const zero = hoptrace(['path', 'c1', '--docker-timeout', '0'], { DOCKER_HOST: 'tcp://203.0.113.99:2375' });
    expect(zero.status).toBe(2);
    expect(zero.stderr).toBe("hoptrace: --docker-timeout must be a number from 0.1 to 600, not '0'\n");
  });
});
