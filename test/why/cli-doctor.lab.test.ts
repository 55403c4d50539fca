// `hoptrace doctor` and `--trace-rules` run as the real command in the lab. Root only; every
// destination is the lab's outside host. In the lab-engine28 project (vitest.config.ts) the
// doctor cases run a second time on Docker 28, in the lab the cause tests already brought up.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, CLI_PATH, hoptrace } from '../live/support.js';
import { causeLab, labSkipReason, testContainer, type CauseLab } from './support.js';
import { engine28Unavailable } from './engine28.js';

const engine = process.env.HT_ENGINE === '28' ? '28' : '20.10';
const skip = labSkipReason() ?? (engine === '28' ? engine28Unavailable() : undefined);
// --trace-rules is tested on one engine: the nftables trace does not depend on Docker's chains.
const traceRulesToo = engine === '20.10';
const OUT = '203.0.113.2';
// Answers every query with NXDOMAIN: enough for "the resolver answers".
const DNS_SERVER = `import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('${OUT}', 53))
while True:
    d, a = s.recvfrom(512)
    s.sendto(d[:2] + bytes([0x81, 0x83]) + d[4:6] + bytes(6) + d[12:], a)
`;

describe.skipIf(skip)(`hoptrace doctor and --trace-rules as commands on Docker ${engine}${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 120_000 }, () => {
  let l: CauseLab;
  const servers: ChildProcess[] = [];
  beforeAll(() => {
    buildCli();
    l = causeLab();
    l.restore();
    const ns = `--net=/var/run/netns/${l.lab.env.nsOutside}`;
    servers.push(spawn('nsenter', [ns, 'python3', '-c', DNS_SERVER], { stdio: 'ignore' }));
    servers.push(spawn('nsenter', [ns, 'busybox', 'httpd', '-f', '-p', `${OUT}:80`, '-h', '/tmp'], { stdio: 'ignore' }));
    l.lab.waitForListen('outside', 80);
    // The engine the lab runs is the one this run is named after.
    expect(l.lab.docker('version', '-f', '{{.Server.Version}}')).toMatch(engine === '28' ? /^28\./ : /^20\.10\./);
  }, 300_000);
  afterEach(() => l.restore());
  afterAll(() => {
    for (const s of servers) s.kill('SIGTERM');
    l?.restore();
  });

  const env = (): Record<string, string> => ({ DOCKER_HOST: l.lab.env.dockerHost });
  const doctor = (name: string) => hoptrace(['doctor', name, OUT, '--name', 'example.test'], env());
  const traceTables = (): string[] => l.lab.exec('host', ['nft', 'list', 'tables']).split('\n').filter((t) => t.includes('hoptrace_trace_'));

  it('doctor: a working container, every step ok, exit 0', () => {
    testContainer(l, 'whyd', ['--dns', OUT]);
    const r = doctor('whyd');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe([
      `doctor whyd -> ${OUT}`,
      'ok    default route via 198.18.0.1 dev eth0',
      `ok    resolver ${OUT} (set with --dns)`,
      `ok    ICMP echo to ${OUT}: answered`,
      `ok    TCP connect to ${OUT}:80: answered`,
      `ok    DNS query for example.test via ${OUT}: answered`,
    ].join('\n') + '\n');
  });

  it('doctor: forwarding off is named under each failing step, exit 1', () => {
    testContainer(l, 'whyd', ['--dns', OUT]);
    l.lab.exec('host', ['sysctl', '-qw', 'net.ipv4.ip_forward=0']);
    const r = doctor('whyd');
    const why = '      why: the host does not forward IPv4 packets: net.ipv4.ip_forward = 0';
    expect(r.status).toBe(1);
    expect(r.stdout).toBe([
      `doctor whyd -> ${OUT}`,
      'ok    default route via 198.18.0.1 dev eth0',
      `ok    resolver ${OUT} (set with --dns)`,
      `FAIL  ICMP echo to ${OUT}: no answer`, why,
      `FAIL  TCP connect to ${OUT}:80: no answer`, why,
      `FAIL  DNS query for example.test via ${OUT}: no answer`, why,
    ].join('\n') + '\n');
  });

  it('doctor: a resolver that does not answer: the queries left the host, exit 1', () => {
    testContainer(l, 'whyd', ['--dns', OUT]);
    l.lab.exec('outside', ['iptables', '-I', 'INPUT', '-p', 'udp', '--dport', '53', '-j', 'DROP']);
    const r = doctor('whyd');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`ok    TCP connect to ${OUT}:80: answered\n`);
    expect(r.stdout.split('\n').slice(-3).join('\n')).toBe([
      `FAIL  DNS query for example.test via ${OUT}: no answer`,
      '      why: no rule or setting here accounts for it: the packets left this host by eth0',
      '',
    ].join('\n'));
  });

  it('doctor: an unknown container is one line, exit 4', () => {
    const r = doctor('no-such-container');
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toBe('hoptrace: no such container: no-such-container\n');
    expect(r.status).toBe(4);
  });

  it.runIf(traceRulesToo)('--trace-rules: the report says it was used, and the table is gone at the end', () => {
    testContainer(l, 'whyc1');
    const r = hoptrace(['ping', 'whyc1', OUT, '--count', '1', '--trace-rules', '--text'], env());
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('\nrules traced: --trace-rules added a temporary nftables table that traced these flows during the capture; it was removed at the end\n');
    expect(traceTables()).toEqual([]);
    // Without the option the ruleset is not touched and nothing is said.
    const plain = hoptrace(['ping', 'whyc1', OUT, '--count', '1', '--text'], env());
    expect(plain.stdout).not.toContain('rules traced');
  });

  it.runIf(traceRulesToo)('--trace-rules: names the rule the kernel saw dropping the flow, and replay of the recording says the same', () => {
    testContainer(l, 'whyc1');
    l.lab.exec('host', ['iptables', '-I', 'DOCKER-USER', '-d', OUT, '-p', 'icmp', '-j', 'DROP']);
    const rec = mkdtempSync(join(tmpdir(), 'ht-why-'));
    try {
      const r = hoptrace(['ping', 'whyc1', OUT, '--count', '2', '--interval', '0.3', '--trace-rules', '--text', '--record', join(rec, 'rec')], env());
      expect(r.status, r.stderr).toBe(1);
      const why = `  why: dropped by a rule in chain DOCKER-USER of table filter (iptables-nft), seen dropping 2 packets of this flow by --trace-rules: \`-A DOCKER-USER -d ${OUT}/32 -p icmp -j DROP\``;
      expect(r.stdout).toContain(`  verdict: dropped: requests vanished between docker0 and eth0 (last seen at docker0).\n${why}\n`);
      expect(hoptrace(['replay', join(rec, 'rec'), '--text']).stdout).toContain(`\n${why}\n`);
      const json = JSON.parse(hoptrace(['replay', join(rec, 'rec'), '--json']).stdout);
      expect(json.flows[0].cause).toMatchObject({ kind: 'rule', detail: { type: 'drop-rule', traced: true, packetsDelta: 2 } });
      expect(traceTables()).toEqual([]);
    } finally {
      rmSync(rec, { recursive: true, force: true });
    }
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it.runIf(traceRulesToo)(`--trace-rules: the table is there during the trace and removed on ${signal}`, async () => {
      testContainer(l, 'whyc1');
      const cli = spawn(process.execPath, [CLI_PATH, 'ping', 'whyc1', OUT, '--count', '100', '--interval', '0.2', '--trace-rules', '--text'], { env: { ...process.env, NO_COLOR: '1', ...env() } });
      let stdout = '';
      let stderr = '';
      cli.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const closed = new Promise((r) => cli.on('close', r));
      // The signal is sent once every hop captures (the command says so), as a user's Ctrl-C would be.
      const until = Date.now() + 30_000;
      while (!stderr.includes('capturing on') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect(traceTables()).toEqual([`table inet hoptrace_trace_${cli.pid}`]);
      await new Promise((r) => setTimeout(r, 1000));
      cli.kill(signal);
      await closed;
      expect(traceTables()).toEqual([]);
      expect(stdout).toContain('rules traced: --trace-rules');
    });
  }
});
