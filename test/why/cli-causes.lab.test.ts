// One test per cause through the real command: `hoptrace ping|tcp|udp|watch ... --record`
// prints the why: line under the verdict or rewrite, and `hoptrace replay` of the recorded
// directory gives the same lines and the JSON `cause`. Root only (the Docker lab needs it);
// every destination is the lab's outside host.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, CLI_PATH, hoptrace } from '../live/support.js';
import { causeLab, labSkipReason, testContainer, type CauseLab } from './support.js';

const skip = labSkipReason();

interface Traced {
  /** The live run's text report. */
  live: string;
  /** `replay --text` of the recorded directory. */
  replayed: string;
  json: { flows: { verdict: string; cause?: Cause; rewrites: { field: string; direction: string; cause?: Cause }[] }[]; causes: unknown };
}
interface Cause {
  kind: string;
  detail: { type: string; rule?: { text: string }; packetsDelta?: number };
}

const whyLines = (text: string): string[] => text.split('\n').filter((l) => /^\s+(\| +)?why: /.test(l)).map((l) => l.replace(/^\s+(\| +)?/, ''));

describe.skipIf(skip)(`causes through the hoptrace command${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 120_000 }, () => {
  let l: CauseLab;
  let OUT = '';
  const dirs: string[] = [];
  beforeAll(() => {
    buildCli();
    l = causeLab();
    l.restore();
    OUT = l.lab.env.outsideAddr;
  }, 300_000);
  afterEach(() => l.restore());
  afterAll(() => {
    l?.restore();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const env = (): Record<string, string> => ({ DOCKER_HOST: l.lab.env.dockerHost });

  /** The live command with --text --record, then replay of the recording as text and as JSON. */
  function trace(args: string[], exit: number): Traced {
    const dir = mkdtempSync(join(tmpdir(), 'ht-why-'));
    dirs.push(dir);
    const rec = join(dir, 'rec');
    const live = hoptrace([...args, '--text', '--record', rec], env());
    expect(live.status, live.stderr).toBe(exit);
    return fromRecording(live.stdout, rec);
  }

  function fromRecording(live: string, rec: string): Traced {
    expect(readdirSync(rec)).toContain('host.json');
    const replayed = hoptrace(['replay', rec, '--text']).stdout;
    const json = JSON.parse(hoptrace(['replay', rec, '--json']).stdout) as Traced['json'];
    // The replay of the recording gives the very same causes.
    expect(whyLines(replayed)).toEqual(whyLines(live));
    return { live, replayed, json };
  }

  const pingArgs = (name: string): string[] => ['ping', name, OUT, '--count', '2', '--interval', '0.3'];

  it('forwarding off: names net.ipv4.ip_forward = 0 under the dropped verdict', () => {
    testContainer(l, 'whyc1');
    l.lab.exec('host', ['sysctl', '-qw', 'net.ipv4.ip_forward=0']);
    const t = trace(pingArgs('whyc1'), 1);
    expect(t.live).toContain('  verdict: dropped: requests vanished between docker0 and eth0 (last seen at docker0).\n  why: the host does not forward IPv4 packets: net.ipv4.ip_forward = 0\n');
    expect(whyLines(t.live)).toEqual(['why: the host does not forward IPv4 packets: net.ipv4.ip_forward = 0']);
    expect(t.json.flows[0]!.cause).toMatchObject({ kind: 'sysctl', detail: { type: 'forwarding-off', sysctl: 'net.ipv4.ip_forward', value: '0' } });
  });

  it('a DROP in DOCKER-USER: names the rule and the packets it counted', () => {
    testContainer(l, 'whyc1');
    l.lab.exec('host', ['iptables', '-I', 'DOCKER-USER', '-d', OUT, '-p', 'icmp', '-j', 'DROP']);
    const t = trace(pingArgs('whyc1'), 1);
    const rule = `-A DOCKER-USER -d ${OUT}/32 -p icmp -j DROP`;
    expect(whyLines(t.live)).toEqual([`why: dropped by a rule in chain DOCKER-USER of table filter (iptables-nft), which counted 2 packets during the trace: \`${rule}\``]);
    expect(t.json.flows[0]!.cause).toMatchObject({ kind: 'rule', detail: { type: 'drop-rule', rule: { text: rule }, packetsDelta: 2 } });
  });

  it("FORWARD policy DROP with Docker's accept rules removed: names the policy", () => {
    testContainer(l, 'whyc1');
    l.lab.exec('host', `iptables -P FORWARD DROP && iptables-save -t filter | grep -E '^-A .*-i docker0 .*-j ACCEPT$' | sed 's/^-A/-D/' | while read -r r; do eval iptables $r; done`);
    const t = trace(pingArgs('whyc1'), 1);
    expect(whyLines(t.live)).toEqual(['why: dropped by the policy of chain FORWARD of table filter, which counted 2 packets during the trace: no rule accepted them: `:FORWARD DROP`']);
    expect(t.json.flows[0]!.cause).toMatchObject({ kind: 'policy', detail: { type: 'chain-policy', policyDelta: 2 } });
  });

  it('MASQUERADE deleted: says which source NAT rule was needed', () => {
    const ip = testContainer(l, 'whyc1');
    l.lab.exec('host', ['iptables', '-t', 'nat', '-D', 'POSTROUTING', '-s', '198.18.0.0/24', '!', '-o', 'docker0', '-j', 'MASQUERADE']);
    const t = trace(pingArgs('whyc1'), 1);
    expect(t.live).toContain('no-snat: ');
    expect(whyLines(t.live)).toEqual([`why: no source NAT rule covers ${ip} leaving by eth0: there is no source NAT rule at all`]);
    expect(t.json.flows[0]!.cause).toMatchObject({ kind: 'rule', detail: { type: 'missing-snat', src: ip, outIface: 'eth0' } });
  });

  it('REJECT with tcp-reset: names the REJECT rule', () => {
    testContainer(l, 'whyc1');
    l.lab.exec('host', ['iptables', '-I', 'DOCKER-USER', '-p', 'tcp', '--dport', '5002', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
    const t = trace(['tcp', 'whyc1', `${OUT}:5002`, '--timeout', '1'], 1);
    const rule = '-A DOCKER-USER -p tcp -m tcp --dport 5002 -j REJECT --reject-with tcp-reset';
    expect(t.json.flows[0]!.verdict).toBe('rejected');
    expect(whyLines(t.live)).toEqual([`why: rejected (tcp-reset) by a rule in chain DOCKER-USER of table filter (iptables-nft), which counted 1 packet during the trace: \`${rule}\``]);
    expect(t.json.flows[0]!.cause).toMatchObject({ kind: 'rule', detail: { type: 'reject-rule', rejectWith: 'tcp-reset', rule: { text: rule } } });
  });

  it('REJECT with icmp-port-unreachable: names the REJECT rule', () => {
    testContainer(l, 'whyc1');
    l.lab.exec('host', ['iptables', '-I', 'DOCKER-USER', '-p', 'udp', '--dport', '5003', '-j', 'REJECT']);
    const t = trace(['udp', 'whyc1', `${OUT}:5003`, '--timeout', '1'], 1);
    const rule = '-A DOCKER-USER -p udp -m udp --dport 5003 -j REJECT --reject-with icmp-port-unreachable';
    expect(t.json.flows[0]!.verdict).toBe('rejected');
    expect(whyLines(t.live)).toEqual([`why: rejected (icmp-port-unreachable) by a rule in chain DOCKER-USER of table filter (iptables-nft), which counted 1 packet during the trace: \`${rule}\``]);
    expect(t.json.flows[0]!.cause).toMatchObject({ kind: 'rule', detail: { type: 'reject-rule', rejectWith: 'icmp-port-unreachable' } });
  });

  it('the outside host drops them: says nothing on this host counted them', () => {
    testContainer(l, 'whyc1');
    l.lab.exec('outside', ['iptables', '-A', 'INPUT', '-p', 'icmp', '-j', 'DROP']);
    const t = trace(pingArgs('whyc1'), 1);
    expect(whyLines(t.live).slice(-1)).toEqual(['why: no rule or setting here accounts for it: the packets left this host by eth0']);
    expect(t.json.flows[0]!.cause).toMatchObject({ kind: 'remote', detail: { type: 'left-host', outIface: 'eth0' } });
  });

  it('rp_filter = 1 with an asymmetric route: names the setting and where the route back leaves', () => {
    const ip = testContainer(l, 'whyc1');
    // The route back to the container leaves by asym0, so the host would not answer its ARP
    // either (the same reverse-path check): the container is given the gateway's address.
    const mac = (JSON.parse(l.lab.exec('host', ['ip', '-j', 'link', 'show', 'docker0'])) as { address: string }[])[0]!.address;
    l.lab.exec('container:whyc1', ['ip', 'neigh', 'replace', '198.18.0.1', 'lladdr', mac, 'dev', 'eth0', 'nud', 'permanent']);
    l.lab.exec('host', `ip link add asym0 type veth peer name asym1 && ip link set asym0 up && ip link set asym1 up && ip route add ${ip}/32 dev asym0 && sysctl -qw net.ipv4.conf.all.rp_filter=1`);
    const t = trace(pingArgs('whyc1'), 1);
    expect(whyLines(t.live)).toEqual(['why: reverse-path filtering drops them: the route back to their source does not leave by docker0 (it leaves by asym0): net.ipv4.conf.all.rp_filter = 1']);
    expect(t.json.flows[0]!.cause).toMatchObject({ kind: 'sysctl', detail: { type: 'rp-filter', iif: 'docker0', replyDev: 'asym0' } });
  });

  it('a user bridge with enable_ip_masquerade=false: says no source NAT rule covers it, and why', () => {
    l.lab.docker('network', 'create', '--label', 'ht-why', '--subnet', l.lab.env.userSubnet, '-o', 'com.docker.network.bridge.enable_ip_masquerade=false', 'whynomasq');
    const ip = testContainer(l, 'whyc2', ['--network', 'whynomasq']);
    const t = trace(pingArgs('whyc2'), 1);
    expect(whyLines(t.live)).toEqual([`why: no source NAT rule covers ${ip} leaving by eth0: \`-A POSTROUTING -s 198.18.0.0/24 ! -o docker0 -j MASQUERADE\` needs source in 198.18.0.0/24; Docker network whynomasq has com.docker.network.bridge.enable_ip_masquerade=false`]);
    expect(t.json.flows[0]!.cause).toMatchObject({ kind: 'rule', detail: { type: 'missing-snat', network: { name: 'whynomasq', masquerade: false } } });
  });

  it('a published port: names the DNAT rule and its conntrack entry under the rewrites', async () => {
    const ip = testContainer(l, 'whyc3', ['-p', '8080:80'], ['httpd', '-f', '-p', '80', '-h', '/var/www']);
    l.lab.waitForListen('container:whyc3', 80);
    const dir = mkdtempSync(join(tmpdir(), 'ht-why-'));
    dirs.push(dir);
    const rec = join(dir, 'rec');
    const cli = spawn(process.execPath, [CLI_PATH, 'watch', 'whyc3', `host ${OUT}`, '--text', '--record', rec], { env: { ...process.env, NO_COLOR: '1', ...env() } });
    let stdout = '';
    let stderr = '';
    cli.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise((r) => setTimeout(r, 3000));
    const up = l.lab.env.uplinkAddr;
    l.tryExec('outside', `busybox wget -q -O /dev/null http://${up}:8080/`);
    await new Promise((r) => setTimeout(r, 1500));
    cli.kill('SIGINT');
    expect(await new Promise((r) => cli.on('close', r)), stderr).toBe(0);
    const sport = /flow \d+: tcp 203\.0\.113\.2:(\d+) -> /.exec(stdout)?.[1];
    const entry = `conntrack ${OUT}:${sport} -> ${up}:8080 <-> ${ip}:80 -> ${OUT}:${sport}`;
    const rule = `\`-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination ${ip}:80\``;
    expect(whyLines(stdout)).toEqual([
      `why: destination rewritten by a rule in chain DOCKER of table nat (iptables-nft): ${rule}; ${entry}`,
      `why: reply rewritten by conntrack, undoing the destination NAT made by a rule in chain DOCKER of table nat (iptables-nft): ${rule}; ${entry}`,
    ]);
    const t = fromRecording(stdout, rec);
    const web = t.json.flows.find((f) => f.rewrites.length > 0)!;
    expect(web.verdict).toBe('ok');
    expect(web.cause).toBeUndefined();
    expect(web.rewrites.map((r) => [r.direction, r.field, r.cause?.detail.type])).toEqual([
      ['request', 'dst', 'nat-rule'], ['request', 'dport', 'nat-rule'], ['reply', 'src', 'nat-rule'], ['reply', 'sport', 'nat-rule'],
    ]);
  });

  it('an ok flow has no why: line under its verdict; a replay of its plain pcaps says once that causes are not known', () => {
    testContainer(l, 'whyc1');
    const t = trace(pingArgs('whyc1'), 0);
    expect(t.live).toContain('  verdict: ok: requests reached eth0 and the answers came back.\n\n');
    expect(t.json.flows[0]!.cause).toBeUndefined();
    // Only the two rewrites (SNAT and its undoing) have a why: line.
    expect(whyLines(t.live).map((w) => w.split(' by ')[0])).toEqual(['why: source rewritten', 'why: reply rewritten']);
    const rec = t.json && dirs[dirs.length - 1]!;
    const pcaps = readdirSync(join(rec, 'rec')).filter((f) => f.endsWith('.pcap')).sort().map((f) => join(rec, 'rec', f));
    const plain = hoptrace(['replay', ...pcaps, '--text']).stdout;
    expect(whyLines(plain)).toEqual([]);
    expect(plain.split('\n').filter((line) => line.startsWith('why: '))).toEqual([
      "why: not known: these captures come without the host's state (firewall rules and their counters, conntrack, settings), which `hoptrace --record` writes to host.json beside the pcaps",
    ]);
    expect(JSON.parse(hoptrace(['replay', ...pcaps, '--json']).stdout).causes).toEqual({ evidence: 'none', traceRules: false, gaps: [] });
  });
});
