// A long `hoptrace watch` writes flows out once they have been idle for 30 s, while it still
// runs, so memory stays flat for hours. Each such flow keeps its exact why: lines: the TCP flow
// a DROP rule in DOCKER-USER stopped names that rule and the packets it counted; the ping
// that went through has no why: under its verdict, and its reply's rewrite is still put down to
// conntrack although conntrack forgot the mapping before the flow retired. The summary counts the
// flows printed early, and `replay` of the recording gives the same lines. Root and the Docker
// lab (HT_LAB_ID); the only destination is the lab's outside host.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, CLI_PATH, hoptrace } from './support.js';
import { causeLab, labSkipReason, testContainer, type CauseLab } from '../why/support.js';

const skip = labSkipReason();
const whyLines = (text: string): string[] => text.split('\n').filter((l) => /^\s+(\| +)?why: /.test(l)).map((l) => l.replace(/^\s+(\| +)?/, ''));
/** The text of one flow: from its "flow N:" line to the blank line after its verdict. */
const flowBlock = (text: string, id: number): string => new RegExp(`^flow ${id}: [^]*?\\n\\n`, 'm').exec(text)?.[0] ?? '';

describe.skipIf(skip)(`a watch retiring flows while it runs${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 180_000 }, () => {
  let l: CauseLab;
  const dirs: string[] = [];
  beforeAll(() => {
    buildCli();
    l = causeLab();
    l.restore();
  }, 300_000);
  afterAll(() => {
    l?.restore();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('prints each flow idle for 30 s with its exact why: lines before the watch ends, and counts it in the summary', async () => {
    const OUT = l.lab.env.outsideAddr;
    const UP = l.lab.env.uplinkAddr;
    const ip = testContainer(l, 'retc1');
    l.lab.exec('host', ['iptables', '-I', 'DOCKER-USER', '-d', OUT, '-p', 'tcp', '--dport', '5005', '-j', 'DROP']);
    // Conntrack forgets the ping's mapping 10 s after its reply (30 s by default, about when the
    // flow retires, which would leave it to chance): only the samples taken during the trace keep it.
    const icmpTimeout = l.lab.exec('host', ['sysctl', '-n', 'net.netfilter.nf_conntrack_icmp_timeout']).trim();
    l.lab.exec('host', ['sysctl', '-qw', 'net.netfilter.nf_conntrack_icmp_timeout=10']);
    const dir = mkdtempSync(join(tmpdir(), 'ht-retired-'));
    dirs.push(dir);
    const rec = join(dir, 'rec');
    const cli = spawn(process.execPath, [CLI_PATH, 'watch', 'retc1', `host ${OUT}`, '--text', '--record', rec], {
      env: { ...process.env, NO_COLOR: '1', DOCKER_HOST: l.lab.env.dockerHost },
    });
    let stdout = '';
    let stderr = '';
    cli.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number | null>((resolve) => cli.on('close', resolve));
    const waitFor = async (done: () => boolean, ms: number): Promise<boolean> => {
      const until = Date.now() + ms;
      while (!done() && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      return done();
    };
    try {
      expect(await waitFor(() => stderr.includes('capturing on'), 30_000), stderr).toBe(true);
      await new Promise((r) => setTimeout(r, 500));
      // Flow 1: a TCP connect (its SYN, perhaps retransmitted) the DROP rule stops at the bridge. Flow 2: one ping that is answered.
      l.tryExec('container:retc1', `nc -w 1 ${OUT} 5005 </dev/null`);
      l.tryExec('container:retc1', `ping -c 1 -W 2 ${OUT}`);
      // Both are idle from now on: retired after 30 s, printed once the host has been read again.
      expect(await waitFor(() => /^flow 2: [^]*?\n\n/m.test(stdout), 75_000), `${stdout}\n${stderr}`).toBe(true);
      expect(stdout).not.toMatch(/flows?, \d+ not ok/);
    } finally {
      cli.kill('SIGINT');
      l.lab.exec('host', ['sysctl', '-qw', `net.netfilter.nf_conntrack_icmp_timeout=${icmpTimeout}`]);
    }
    expect(await closed, stderr).toBe(1);

    const tcp = flowBlock(stdout, 1);
    const rule = `-A DOCKER-USER -d ${OUT}/32 -p tcp -m tcp --dport 5005 -j DROP`;
    // The rule was new when the watch started: all it counted since are this flow's SYNs.
    const counted = Number(new RegExp(`^\\[(\\d+):\\d+\\] ${rule.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm').exec(l.lab.exec('host', ['iptables-save', '-c', '-t', 'filter']))?.[1]);
    expect(counted).toBeGreaterThanOrEqual(1);
    expect(tcp).toMatch(new RegExp(`^flow 1: tcp ${ip.replace(/\./g, '\\.')}:\\d+ -> ${OUT.replace(/\./g, '\\.')}:5005: dropped`));
    expect(whyLines(tcp)).toEqual([`why: dropped by a rule in chain DOCKER-USER of table filter (iptables-nft), which counted ${counted} packet${counted === 1 ? '' : 's'} during the trace: \`${rule}\``]);

    const ping = flowBlock(stdout, 2);
    expect(ping).toContain('  verdict: ok: requests reached eth0 and the answers came back.\n\n');
    const masquerade = '`-A POSTROUTING -s 198.18.0.0/24 ! -o docker0 -j MASQUERADE`';
    const id = /conntrack \S+ -> \S+ id (\d+) /.exec(ping)?.[1];
    const entry = `conntrack ${ip} -> ${OUT} id ${id} <-> ${OUT} -> ${UP} id ${id}`;
    expect(whyLines(ping)).toEqual([
      `why: source rewritten by a rule in chain POSTROUTING of table nat (iptables-nft): ${masquerade}; ${entry}`,
      `why: reply rewritten by conntrack, undoing the source NAT made by a rule in chain POSTROUTING of table nat (iptables-nft): ${masquerade}; ${entry}`,
    ]);

    // Nothing else was printed, and the summary counts both flows though the report held none at the end.
    expect(stdout.match(/^flow \d+:/gm)).toEqual(['flow 1:', 'flow 2:']);
    expect(stdout.endsWith('2 flows, 1 not ok\n')).toBe(true);

    // The recording replayed gives the same flows with the same causes. (Replay numbers them in
    // another order, as it does for any live trace: the dropped flow settles there only when a
    // later frame arrives, so the ping is flow 1.)
    const replayed = hoptrace(['replay', rec, '--text']);
    expect(replayed.status).toBe(1);
    expect(whyLines(replayed.stdout).sort()).toEqual(whyLines(stdout).sort());
    expect(replayed.stdout.endsWith('2 flows, 1 not ok\n')).toBe(true);
  });
});
