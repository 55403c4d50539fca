// A trace across two Docker hosts run in-process (main() of src/cli.ts, root, the multi-host
// lab), so that StrykerJS sees the glue of src/commands/multi-host-trace.ts: the engines are
// asked, the overlay path found on both hosts, a capture helper started on each through its
// Docker API, the traffic run in the container by docker exec. Both engines are reached by
// their unix sockets (h2's TCP endpoint answers only in the lab's outside namespace; the spawned
// CLI's use of it is multihost-cli.test.ts's). Lab destinations only: c2 on the overlay.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { labAvailable, labUnavailableReason } from './lab.js';
import { createMultihost, OVERLAY_PATH, overlayTunnelSteps } from './multihost.js';
import { buildHelper, runInProcess, stderrIncludes, type Written } from '../live/in-process-support.js';

const written = vi.hoisted((): Written => ({ stdout: [] }));
vi.mock('../../src/render/stdout.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/render/stdout.js')>();
  return { ...real, blockingWriter: () => ({ write: (text: string) => void written.stdout.push(text), failure: undefined }) };
});

describe.skipIf(!labAvailable())(`a trace across two Docker hosts, in-process (${labUnavailableReason() ?? 'root'})`, () => {
  const lab = createMultihost(process.env.HT_LAB_ID || 'mh');
  const { h1, h2 } = lab.env.hosts;
  const socket = (h: 'h1' | 'h2') => `unix://${path.join(lab.env.stateDir, h, 'docker.sock')}`;
  const hosts = ['--host', `h1=${socket('h1')}`, '--host', `h2=${socket('h2')}`];
  const [ip, helpers] = [lab.overlayAddress, lab.helperIds];
  const names = (report: { hops: { name: string }[] }) => report.hops.map((h) => h.name);
  // runInProcess sets DOCKER_HOST; a trace across hosts names every engine with --host.
  const env = { dockerHost: socket('h1') };
  let c1 = '';
  let c2 = '';

  beforeAll(() => {
    buildHelper();
    lab.up();
    [c1, c2] = [ip('h1', 'c1'), ip('h2', 'c2')];
  });
  // A ping a previous run left in c1 (a mutant that breaks the traffic's stop) would be one more
  // flow in every trace after it: ended here, by its pid, so each test starts from a quiet c1.
  beforeEach(() => {
    const pids = lab.docker('h1', 'exec', 'c1', 'ps').split('\n').filter((l) => / ping /.test(l)).map((l) => l.trim().split(/\s+/)[0]!);
    if (pids.length > 0) lab.docker('h1', 'exec', 'c1', 'kill', ...pids);
  });
  // Under StrykerJS (stryker.lab.config.mjs) every mutant's run would bring the lab up again.
  afterAll(() => void (process.env.HT_LAB_KEEP ? undefined : lab.down()));

  it('ping c1 (h1) -> c2 (h2) --json: ok on all ten hops, VXLAN at both uplinks, the exit line of the ping run in c1', async () => {
    const run = await runInProcess(written, env, ['ping', 'c1', c2, '-c', '2', '-i', '0.2', '--json', ...hosts]);
    const c1Id = lab.docker('h1', 'inspect', '-f', '{{.Id}}', 'c1').trim().slice(0, 12);
    expect(run.stderr).toBe(`hoptrace: ping -c 2 -i 0.2 ${c2} in ${c1Id} on host h1: exit 0\n`);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(names(report)).toEqual(OVERLAY_PATH);
    expect(report.summary.packetsPerHop).toEqual(Array(10).fill(4));
    expect(report.summary.warnings).toEqual([]);
    expect(report.flows).toHaveLength(1);
    const flow = report.flows[0];
    expect([flow.verdict, flow.initiator, flow.responder, flow.packets]).toEqual(['ok', c1, c2, { request: 2, reply: 2 }]);
    expect(flow.tunnels.steps).toEqual(overlayTunnelSteps(h1.addr, h2.addr, expect.any(Number)));
  });

  it('a container on none of the hosts: one error naming the hosts, exit 4, nothing captured', async () => {
    const run = await runInProcess(written, env, ['ping', 'nosuch', c2, '--json', ...hosts]);
    expect([run.code, run.stdout, run.stderr]).toEqual([4, '', 'hoptrace: container nosuch runs on none of the hosts h1, h2\n']);
  });

  it('SIGTERM during a long ping --text: the report of what was captured, exit 0, the ping in c1 and both helpers ended', async () => {
    const run = await runInProcess(written, env, ['ping', 'c1', c2, '-c', '1000', '-i', '0.2', '--text', ...hosts], async () => {
      await stderrIncludes(`flow 1: icmp ${c1} -> ${c2}: ok (`, 90_000);
      expect([helpers('h1'), helpers('h2')].map((ids) => ids === '')).toEqual([false, false]);
      process.emit('SIGTERM');
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`^hoptrace: capturing on h1 c1 eth0, .*h2 c2 eth0 \\(Ctrl-C to stop\\)\n`));
    expect(run.stdout).toMatch(new RegExp(`^flow 1: icmp ${c1.replaceAll('.', '\\.')} -> ${c2.replaceAll('.', '\\.')}: ok \\(\\d+ requests?, \\d+ repl(y|ies)\\)$`, 'm'));
    expect(run.stdout.split('\n').slice(-2)).toEqual(['1 flow, 0 not ok', '']);
    expect([helpers('h1'), helpers('h2')]).toEqual(['', '']);
    expect(lab.docker('h1', 'exec', 'c1', 'ps')).not.toContain('ping -c 1000');
  });

  it('watch c1 --text --pcapng across hosts: the far end found on h2 without a destination, the echo c1 sends followed through the tunnel; SIGTERM gives the report, and the pcapng replays to the same flow', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ht-inproc-mh-'));
    try {
      const pcapng = path.join(dir, 'watch.pcapng');
      const run = await runInProcess(written, env, ['watch', 'c1', '--text', '--pcapng', pcapng, ...hosts], async () => {
        await stderrIncludes('(Ctrl-C to stop)', 90_000);
        lab.docker('h1', 'exec', 'c1', 'ping', '-c', '2', '-i', '0.2', c2);
        await stderrIncludes(`flow 1: icmp ${c1} -> ${c2}: ok (2 requests, 2 replies)`, 30_000);
        process.emit('SIGTERM');
      });
      expect(run.code).toBe(0);
      // (A line the previous test's traffic said as it ended may come first: this process heard it.)
      expect(run.stderr.split('\n').find((l) => l.startsWith('hoptrace: capturing on'))).toMatch(new RegExp(`^hoptrace: capturing on h1 c1 eth0, h1 overlay:ht-overlay veth1, .*, h2 overlay:ht-overlay veth1, h2 c2 eth0 \\(Ctrl-C to stop\\)$`));
      expect(run.stdout).toContain(`path: 1. h1 c1 eth0 (${c1})  2. h1 overlay:ht-overlay veth1  `);
      expect(run.stdout).toContain(`  10. h2 c2 eth0 (${c2})\n`);
      expect(run.stdout).toContain(`flow 1: icmp ${c1} -> ${c2}: ok (2 requests, 2 replies)\n`);
      expect(run.stdout).toContain('  verdict: ok: requests reached h2 c2 eth0 and the answers came back.\n');
      expect([helpers('h1'), helpers('h2')]).toEqual(['', '']);
      const replayed = await runInProcess(written, env, ['replay', pcapng, '--text']);
      expect(replayed.code).toBe(0);
      expect(replayed.stdout).toContain(`flow 1: icmp ${c1} -> ${c2}: ok (2 requests, 2 replies)\n`);
      expect(replayed.stdout).toContain('  verdict: ok: requests reached h2 c2 eth0 and the answers came back.\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
