// Lab scaffolding for the cause tests: one lab (HT_LAB_ID), a scenario changes the Docker
// host or the outside host, the test reads the evidence around real traffic, and `restore`
// puts the firewall, the sysctls and the links back whatever happened.
import Dockerode from 'dockerode';
import { execFileSync } from 'node:child_process';
import { createLab, labUnavailableReason, type Lab } from '../lab/lab.js';
import { collectSnapshot, routeQuestionsFor, type RouteQuestion } from '../../src/evidence/collect.js';
import type { HostSnapshot, PacketAtHop } from '../../src/evidence/types.js';

export function labSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, a real dockerd): run as root, as CI does';
  for (const tool of ['nft', 'conntrack']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `needs ${tool} (apt-get install nftables conntrack)`;
    }
  }
  return labUnavailableReason() ?? undefined;
}

export interface CauseLab {
  lab: Lab;
  hostNs: { label: string; path: string };
  dockerode: Dockerode;
  /** Run `fn` between two snapshots of the Docker host. */
  around(flow: { packet: PacketAtHop; iif: string }, fn: () => void, extraRoutes?: RouteQuestion[]): Promise<{ before: HostSnapshot; after: HostSnapshot }>;
  /** Put back the firewall rules, sysctls, routes and links the scenarios change; remove test containers. */
  restore(): void;
  /** Shell in a lab namespace that may fail (expected failures of the traffic). */
  tryExec(ns: 'host' | 'outside' | `container:${string}`, cmd: string): void;
}

const SYSCTLS = ['net.ipv4.ip_forward', 'net.ipv4.conf.all.rp_filter', 'net.ipv4.conf.eth0.rp_filter', 'net.ipv4.conf.default.rp_filter'];

export function causeLab(): CauseLab {
  const lab = createLab();
  lab.up();
  const hostNs = { label: lab.env.nsHost, path: `/var/run/netns/${lab.env.nsHost}` };
  const dockerode = new Dockerode({ socketPath: lab.env.dockerHost.replace(/^unix:\/\//, '') });
  const savedHost = lab.exec('host', ['iptables-save']);
  const savedOutside = lab.exec('outside', ['iptables-save']);
  const savedSysctls = lab.exec('host', ['sysctl', ...SYSCTLS]).trim().split('\n').map((l) => l.replace(' = ', '='));
  const tryExec: CauseLab['tryExec'] = (ns, cmd) => {
    try {
      // In a container its own busybox runs (docker exec); on the lab's hosts, say `busybox ping`.
      if (ns.startsWith('container:')) lab.docker('exec', ns.slice('container:'.length), 'sh', '-c', cmd);
      else lab.exec(ns, cmd, { timeoutMs: 30_000 });
    } catch {
      // The scenario's traffic is meant to fail; the evidence tells what happened.
    }
  };
  return {
    lab, hostNs, dockerode, tryExec,
    async around(flow, fn, extraRoutes = []) {
      const opts = {
        interfaces: ['docker0', 'eth0', flow.iif],
        routes: [...routeQuestionsFor({ family: flow.packet.family, src: flow.packet.src, dst: flow.packet.dst, iif: flow.iif }), ...extraRoutes],
        docker: dockerode,
      };
      const before = await collectSnapshot(hostNs, opts);
      fn();
      const after = await collectSnapshot(hostNs, opts);
      return { before, after };
    },
    restore() {
      const names = lab.docker('ps', '-aq', '--filter', 'label=ht-why').trim().split('\n').filter(Boolean);
      if (names.length) lab.docker('rm', '-f', ...names);
      const nets = lab.docker('network', 'ls', '-q', '--filter', 'label=ht-why').trim().split('\n').filter(Boolean);
      if (nets.length) lab.docker('network', 'rm', ...nets);
      lab.exec('host', ['iptables-restore'], { input: savedHost });
      // A fresh namespace has no tables, so iptables-save printed nothing to restore: flush instead.
      if (savedOutside.includes('*filter')) lab.exec('outside', ['iptables-restore'], { input: savedOutside });
      else lab.exec('outside', ['iptables', '-F']);
      lab.exec('host', ['sysctl', '-qw', ...savedSysctls]);
      lab.exec('host', 'ip link del asym0 2>/dev/null; nft delete table inet whyfw 2>/dev/null; nft delete table inet hoptrace_trace_test 2>/dev/null; nft delete table inet hoptrace_trace_sig 2>/dev/null; iptables-legacy -F FORWARD 2>/dev/null; conntrack -F 2>/dev/null; true');
      lab.exec('outside', 'ip route del 198.18.0.0/16 2>/dev/null; true');
    },
  };
}

/** A container of the test (labelled, so restore removes it); returns its address. */
export function testContainer(l: CauseLab, name: string, options: string[] = [], cmd: string[] = ['sleep', '600']): string {
  l.lab.docker('run', '-d', '--label', 'ht-why', '--name', name, ...options, l.lab.env.image, ...cmd);
  return l.lab.docker('inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name).trim();
}

export const ping = (src: string, dst: string): PacketAtHop => ({ family: 4, src, dst, proto: 1, icmpType: 8 });
