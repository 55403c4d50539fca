// The Docker lab itself, for real: needs root (CI runs it as root). It uses its own lab id so
// that it never disturbs the default lab other suites may have up at the same time.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, labUnavailableReason, type Lab } from './lab.js';

// Its own lab beside the one of $HT_LAB_ID (several helpers may run this file at once).
const LAB_ID = `${process.env.HT_LAB_ID ?? ''}lt`.slice(0, 6);
const reason = labUnavailableReason();

/** Processes whose command line names the lab's state directory (dockerd, containerd, shims...). */
function labProcesses(stateDir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmd.includes(`${stateDir}/`)) found.push(`${pid} ${cmd}`);
    } catch {
      // the process exited while we looked
    }
  }
  return found;
}

const netnsNames = (): string[] =>
  execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]).filter(Boolean);
const rootLinks = (): string[] =>
  (JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' })) as { ifname: string }[])
    .map((l) => l.ifname).sort();
const rootIpForward = (): string => readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();

describe.skipIf(reason !== null)(`Docker lab (test/lab/lab.sh)${reason ? ` - skipped: ${reason}` : ''}`, () => {
  let lab: Lab;
  let linksBefore: string[];
  let forwardBefore: string;

  beforeAll(() => {
    lab = createLab(LAB_ID);
    lab.down(); // a lab left over by an interrupted run
    linksBefore = rootLinks();
    forwardBefore = rootIpForward();
    lab.up();
  }, 240_000);

  afterAll(() => {
    lab?.down();
  }, 120_000);

  it('is up, and up again is a no-op', () => {
    expect(lab.status()).toBe(true);
    lab.up();
    expect(lab.status()).toBe(true);
    expect(netnsNames()).toEqual(expect.arrayContaining([`ht-${LAB_ID}-dockerhost`, `ht-${LAB_ID}-outside`]));
  }, 120_000);

  it('lets a container ping the outside host through docker0', () => {
    lab.docker('run', '-d', '--name', 'c1', lab.env.image, 'sleep', '600');
    expect(lab.docker('inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'c1').trim()).toBe('198.18.0.2');
    const out = lab.docker('exec', 'c1', 'ping', '-c', '2', '-W', '2', lab.env.outsideAddr);
    expect(out).toContain('2 packets transmitted, 2 packets received');
  }, 120_000);

  it('has MASQUERADE for the bridge subnet and DNAT for a published port in the nat table', () => {
    lab.docker('run', '-d', '--name', 'web', '-p', '8080:80', lab.env.image, 'httpd', '-f', '-p', '80', '-h', '/var/www');
    const webIp = lab.docker('inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'web').trim();
    const nat = lab.exec('host', ['iptables', '-t', 'nat', '-S']);
    expect(nat).toContain('-A POSTROUTING -s 198.18.0.0/24 ! -o docker0 -j MASQUERADE');
    expect(nat).toContain(`-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination ${webIp}:80`);
    lab.waitForListen('container:web', 80);
    // and the DNAT works: the outside host reaches the container through the Docker host's address
    // (no wget -T: Debian's static busybox 1.35 wget segfaults with it)
    const page = lab.exec('outside', ['busybox', 'wget', '-q', '-O', '-', `http://${lab.env.uplinkAddr}:8080/`]);
    expect(page).toBe('hello from hoptrace-busybox\n');
  }, 120_000);

  it('leaves the root network namespace alone', () => {
    expect(rootLinks()).toEqual(linksBefore);
    expect(rootIpForward()).toBe(forwardBefore);
  });

  it('down removes namespaces, processes, mounts and state, and a second down is clean too', () => {
    const { stateDir } = lab.env;
    expect(labProcesses(stateDir).length).toBeGreaterThan(0);
    lab.down();
    expect(netnsNames().filter((n) => n.startsWith(`ht-${LAB_ID}-`))).toEqual([]);
    expect(labProcesses(stateDir)).toEqual([]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(`${stateDir}/`);
    expect(existsSync(stateDir)).toBe(false);
    expect(() => lab.down()).not.toThrow();
  }, 120_000);

  it('cleans up after itself when up fails (dockerd given no time to answer)', () => {
    expect(() => lab.up({ timeoutSeconds: 0 })).toThrow(/dockerd did not answer within 0s[\s\S]*down: nothing left/);
    expect(netnsNames().filter((n) => n.startsWith(`ht-${LAB_ID}-`))).toEqual([]);
    expect(labProcesses(lab.env.stateDir)).toEqual([]);
    expect(existsSync(lab.env.stateDir)).toBe(false);
  }, 120_000);
});
