// `doctor` in the real lab: a working container, the Docker host with forwarding off, and a
// resolver that never answers. The destination is always the lab's outside host.
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { diagnose, renderDoctor } from '../../src/commands/doctor.js';
import { causeLab, labSkipReason, testContainer, type CauseLab } from './support.js';

const skip = labSkipReason();
const OUT = '203.0.113.2';
// Answers every query with NXDOMAIN: enough for "the resolver answers".
const DNS_SERVER = `import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('${OUT}', 53))
while True:
    d, a = s.recvfrom(512)
    s.sendto(d[:2] + bytes([0x81, 0x83]) + d[4:6] + bytes(6) + d[12:], a)
`;

describe.skipIf(skip)(`doctor${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 60_000 }, () => {
  let l: CauseLab;
  const servers: ChildProcess[] = [];
  beforeAll(() => {
    l = causeLab();
    l.restore();
    const ns = `--net=/var/run/netns/${l.lab.env.nsOutside}`;
    servers.push(spawn('nsenter', [ns, 'python3', '-c', DNS_SERVER], { stdio: 'ignore' }));
    servers.push(spawn('nsenter', [ns, 'busybox', 'httpd', '-f', '-p', `${OUT}:80`, '-h', '/tmp'], { stdio: 'ignore' }));
    l.lab.waitForListen('outside', 80);
  }, 300_000);
  afterEach(() => l.restore());
  afterAll(() => {
    for (const s of servers) s.kill('SIGTERM');
    l?.restore();
  });

  const run = async (name: string) => renderDoctor(await diagnose({
    container: name, destination: OUT, port: 80, dnsName: 'example.test', docker: l.dockerode, hostNs: l.hostNs,
  }));

  it('says every step works for a working container', async () => {
    testContainer(l, 'whyd', ['--dns', OUT]);
    expect(await run('whyd')).toBe([
      `doctor whyd -> ${OUT}`,
      'ok    default route via 198.18.0.1 dev eth0',
      `ok    resolver ${OUT} (set with --dns)`,
      `ok    ICMP echo to ${OUT}: answered`,
      `ok    TCP connect to ${OUT}:80: answered`,
      `ok    DNS query for example.test via ${OUT}: answered`,
    ].join('\n') + '\n');
  });

  it('names forwarding off under each failing step', async () => {
    testContainer(l, 'whyd', ['--dns', OUT]);
    l.lab.exec('host', ['sysctl', '-qw', 'net.ipv4.ip_forward=0']);
    const why = '      why: the host does not forward IPv4 packets: net.ipv4.ip_forward = 0';
    expect(await run('whyd')).toBe([
      `doctor whyd -> ${OUT}`,
      'ok    default route via 198.18.0.1 dev eth0',
      `ok    resolver ${OUT} (set with --dns)`,
      `FAIL  ICMP echo to ${OUT}: no answer`, why,
      `FAIL  TCP connect to ${OUT}:80: no answer`, why,
      `FAIL  DNS query for example.test via ${OUT}: no answer`, why,
    ].join('\n') + '\n');
  });

  it('says the queries left the host when the resolver does not answer', async () => {
    testContainer(l, 'whyd', ['--dns', OUT]);
    l.lab.exec('outside', ['iptables', '-I', 'INPUT', '-p', 'udp', '--dport', '53', '-j', 'DROP']);
    const out = await run('whyd');
    expect(out).toContain(`ok    TCP connect to ${OUT}:80: answered\n`);
    expect(out.split('\n').slice(-3).join('\n')).toBe([
      `FAIL  DNS query for example.test via ${OUT}: no answer`,
      '      why: no rule or setting here accounts for it: the packets left this host by eth0',
      '',
    ].join('\n'));
  });
});
