// The live commands run in-process (main() of src/cli.ts) against the real Docker lab: root,
// a real dockerd, real captures on every hop, real traffic to the lab's outside host. What the
// user sees is asserted whole: the report, the lines on stderr, the exit code. These are the
// runs that let StrykerJS see the live glue of src/commands (`npx stryker run stryker.lab.config.mjs`).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { labUp, removeContainers, runContainer, skipReason, type LabEnv } from './support.js';
import { buildHelper, runInProcess, stderrIncludes, vethOf, type Written } from './in-process-support.js';

const written = vi.hoisted((): Written => ({ stdout: [] }));
vi.mock('../../src/render/stdout.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/render/stdout.js')>();
  return { ...real, blockingWriter: () => ({ write: (text: string) => void written.stdout.push(text), failure: undefined }) };
});
vi.mock('../../src/capture/live/parent-death.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/capture/live/parent-death.js')>();
  const { helperFromDist } = await import('./in-process-support.js');
  return { ...real, diesWithParent: (file: string, args: string[]) => real.diesWithParent(file, helperFromDist(args)) };
});

// The Ink UI itself is tested in test/tui; here only what the live trace hands it: the report
// it shows once the capture ends (with the host's causes), and the lines kept until it is gone.
const tui = vi.hoisted(() => ({ shown: [] as unknown[], stderrWhileShown: [] as number[] }));
vi.mock('../../src/render/tui/index.js', () => ({
  runTui: async (session: { report: Promise<unknown> }) => {
    const report = await session.report;
    tui.shown.push(report);
    tui.stderrWhileShown.push((process.stderr.write as unknown as { mock: { calls: unknown[] } }).mock.calls.length);
    return report;
  },
}));

const skip = skipReason();
const NAME = `htl-${process.pid}-inproc`;

describe.skipIf(skip)(`live commands in-process${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: LabEnv;
  let ip = '';
  let veth = '';
  let hops = '';
  const records: string[] = [];
  beforeAll(() => {
    buildHelper();
    lab = labUp();
    ip = runContainer(lab, NAME);
    veth = vethOf(lab, NAME);
    hops = `${NAME} eth0, ${veth}, docker0, eth0`;
  });
  afterAll(() => {
    removeContainers(lab, NAME);
    for (const dir of records) rmSync(dir, { recursive: true, force: true });
  });

  it('ping --json: the SNAT between docker0 and eth0, every packet on every hop, exit 0', async () => {
    const run = await runInProcess(written, lab, ['ping', NAME, lab.outsideAddr, '--count', '2', '--interval', '0.1', '--json']);
    expect(run.stderr).toBe('hoptrace: 2 of 2 echo requests sent, 2 replies\n');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.hops.map((h: { name: string }) => h.name)).toEqual([`${NAME} eth0`, veth, 'docker0', 'eth0']);
    expect(report.hops.map((h: { kernel?: unknown }) => h.kernel)).toEqual(Array(4).fill({ received: 4, dropped: 0, ifDropped: 0 }));
    expect(report.summary.packetsPerHop).toEqual([4, 4, 4, 4]);
    expect(report.summary.warnings).toEqual([]);
    expect(report.flows).toHaveLength(1);
    const flow = report.flows[0];
    expect(flow).toMatchObject({ proto: 'icmp', initiator: ip, responder: lab.outsideAddr, verdict: 'ok', reached: 'eth0', dropBetween: null });
    expect(flow.rewrites.map(({ cause: _c, ...r }: { cause?: unknown }) => r)).toEqual([
      { between: ['docker0', 'eth0'], direction: 'request', field: 'src', from: ip, to: lab.uplinkAddr },
      { between: ['eth0', 'docker0'], direction: 'reply', field: 'dst', from: lab.uplinkAddr, to: ip },
    ]);
    // The causes come from the host read around the trace: the MASQUERADE rule.
    expect(JSON.stringify(flow.rewrites[0].cause)).toContain('-A POSTROUTING -s 198.18.0.0/24 ! -o docker0 -j MASQUERADE');
  });

  it('ping --text -v: the capture line, the notes, the traffic line and the flow line on stderr; the report on stdout', async () => {
    const run = await runInProcess(written, lab, ['ping', NAME, lab.outsideAddr, '--count', '2', '--interval', '0.1', '--text', '-v']);
    expect(run.code).toBe(0);
    const filter = 'host 198.18.0.2 and (icmp or (icmp6 and icmp6[0] < 130))'.replace('198.18.0.2', ip);
    const lines = run.stderr.split('\n');
    expect(lines[0]).toBe(`hoptrace: capturing on ${hops} (Ctrl-C to stop)`);
    expect(lines.filter((l) => l.startsWith('hoptrace: note: capture filter'))).toEqual([
      `hoptrace: note: capture filter at ${NAME} eth0: ${filter}`,
      `hoptrace: note: capture filter at ${veth}: ${filter}`,
      `hoptrace: note: capture filter at docker0: ${filter}`,
      `hoptrace: note: capture filter at eth0: (icmp or (icmp6 and icmp6[0] < 130)) and (host ${lab.outsideAddr} or host ${ip} or (dst host ${lab.uplinkAddr} or dst host ${lab.uplinkAddr6}))`,
    ]);
    expect(lines.slice(-3)).toEqual(['hoptrace: 2 of 2 echo requests sent, 2 replies', `flow 1: icmp ${ip} -> ${lab.outsideAddr}: ok (2 requests, 2 replies)`, '']);
    const out = run.stdout.split('\n');
    expect(out[0]).toBe(`path: 1. ${NAME} eth0 (${ip})  2. ${veth}  3. docker0 (198.18.0.1)  4. eth0 (${lab.uplinkAddr}, ${lab.uplinkAddr6})`);
    expect(out).toContain(`flow 1: icmp ${ip} -> ${lab.outsideAddr}: ok (2 requests, 2 replies)`);
    expect(out).toContain(`       | SNAT src ${ip} -> ${lab.uplinkAddr} between docker0 and eth0`);
    expect(out).toContain('  verdict: ok: requests reached eth0 and the answers came back.');
    expect(out.slice(-2)).toEqual(['1 flow, 0 not ok', '']);
  });

  it('tcp to a port nobody listens on: rejected beyond eth0, exit 1, and --record writes the trace that replays to the same report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ht-inproc-'));
    records.push(dir);
    const record = join(dir, 'trace');
    const pcapng = join(dir, 'trace.pcapng');
    const run = await runInProcess(written, lab, ['tcp', NAME, `${lab.outsideAddr}:9`, '--timeout', '1', '--json', '--record', record, '--pcapng', pcapng]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^hoptrace: TCP connect to ${lab.outsideAddr}:9: refused after \\d+(\\.\\d)? ms\n$`));
    const report = JSON.parse(run.stdout);
    expect(report.flows).toHaveLength(1);
    expect(report.flows[0]).toMatchObject({ proto: 'tcp', responder: `${lab.outsideAddr}:9`, verdict: 'rejected', reached: 'eth0' });
    expect(report.flows[0].initiator).toMatch(new RegExp(`^${ip.replaceAll('.', '\\.')}:\\d+$`));
    expect(report.flows[0].findings).toEqual([
      { code: 'rejected', count: 1, answer: { kind: 'tcp-reset', from: lab.outsideAddr }, side: 'beyond', beyond: 'eth0', message: `TCP reset from ${lab.outsideAddr}, beyond eth0, answered the request` },
    ]);
    expect(readdirSync(record).sort()).toEqual([`01-${NAME}-eth0.pcap`, `02-${veth}.pcap`, '03-docker0.pcap', '04-eth0.pcap', 'host.json', 'path.json']);
    const { description } = JSON.parse(readFileSync(join(record, 'path.json'), 'utf8'));
    expect(description).toMatch(
      new RegExp(`^hoptrace tcp ${NAME} ${lab.outsideAddr}:9 --timeout 1 --json --record ${record} --pcapng ${pcapng}: container ${NAME} \\([0-9a-f]{12}\\) to ${lab.outsideAddr}, recorded live \\(kernel timestamps of each hop's capture\\)$`),
    );
    const replayed = await runInProcess(written, lab, ['replay', record, '--json']);
    expect(replayed.code).toBe(1);
    // The same flow; its times count from the first packet of the recording, not from the start of the capture.
    const untimed = ({ firstSeen: _first, lastSeen: _last, ...flow }: { firstSeen: number; lastSeen: number }) => flow;
    expect(JSON.parse(replayed.stdout).flows.map(untimed)).toEqual(report.flows.map(untimed));
    // The pcapng carries the hops and the host's state: replayed alone, the same text report as the directory.
    const fromDir = await runInProcess(written, lab, ['replay', record, '--text']);
    const fromPcapng = await runInProcess(written, lab, ['replay', pcapng, '--text']);
    expect(fromDir.stdout).toContain('why: source rewritten by a rule in chain POSTROUTING of table nat');
    expect(fromPcapng.stdout).toBe(fromDir.stdout);
  });

  it('watch --text without a filter until SIGTERM: the uplink note, the flow of the traffic sent meanwhile, its report, exit 0', async () => {
    let stderrSeen = '';
    const run = await runInProcess(written, lab, ['watch', NAME, '--text'], async () => {
      // Sent once every hop captures (the capture line), then the watch is stopped as by `kill`.
      stderrSeen = await stderrIncludes('capturing on', 30_000);
      execFileSync(lab.dockerCli, ['-H', lab.dockerHost, 'exec', NAME, 'ping', '-c', '1', '-W', '2', lab.outsideAddr]);
      process.emit('SIGTERM');
    });
    expect(stderrSeen).toContain(`hoptrace: capturing on ${hops} (Ctrl-C to stop)\n`);
    expect(run.stderr).toContain(
      `hoptrace: note: without a filter, eth0 keeps every packet to or from ${lab.uplinkAddr}, ${lab.uplinkAddr6} (where the SNAT puts the container's traffic), ` +
        "the host's own included; a filter such as 'host <destination>' narrows it\n",
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`flow 1: icmp ${ip} -> ${lab.outsideAddr}: ok (1 request, 1 reply)\n`);
    expect(run.stdout.split('\n').slice(-2)).toEqual(['1 flow, 0 not ok', '']);
  });

  it('a container that stops during a watch --json --debug ends the trace with a warning, in the report too', async () => {
    const name = `${NAME}-stops`;
    runContainer(lab, name, '--', 'sh', '-c', `while true; do ping -c 1 -W 1 ${lab.outsideAddr} >/dev/null; sleep 0.2; done`);
    const itsVeth = vethOf(lab, name);
    try {
      const run = await runInProcess(written, lab, ['watch', name, 'icmp', '--json', '--debug'], async () => {
        // --debug says when each hop began capturing: the container is stopped once all four do.
        await stderrIncludes(': capturing on ', 30_000, 4);
        execFileSync(lab.dockerCli, ['-H', lab.dockerHost, 'stop', '-t', '1', name]);
      });
      const why = `container ${name} stopped during the trace: the report covers what was captured until then`;
      expect(run.stderr.split('\n').filter((l) => l.includes('stopped during'))).toEqual([`hoptrace: warning: ${why}`]);
      const debug = run.stderr.split('\n').filter((l) => l.startsWith('hoptrace: debug: '));
      for (const line of debug) expect(line).toMatch(/^hoptrace: debug: \d+\.\d{3} s: \S/);
      expect(debug.filter((l) => l.includes('capturing on')).map((l) => l.replace(/^.* s: /, '')).sort()).toEqual(
        [`netns container:${name}: capturing on eth0`, 'netns host: capturing on docker0', 'netns host: capturing on eth0', `netns host: capturing on ${itsVeth}`].sort(),
      );
      const report = JSON.parse(run.stdout);
      expect(report.summary.warnings).toContain(why);
      expect(report.flows.length).toBeGreaterThan(0);
      expect(report.flows.every((f: { verdict: string; proto: string }) => f.proto === 'icmp')).toBe(true);
    } finally {
      removeContainers(lab, name);
    }
  });

  it('--tui: the view gets the report with the host\'s causes; the traffic line waits until the view is gone; the text report follows', async () => {
    tui.shown = [];
    tui.stderrWhileShown = [];
    // A terminal on stdout, as the UI needs (the writer is the test's: nothing reaches the real one).
    const tty = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
    Object.defineProperty(process.stdout, 'isTTY', { value: true, configurable: true });
    let run: Awaited<ReturnType<typeof runInProcess>>;
    try {
      run = await runInProcess(written, lab, ['ping', NAME, lab.outsideAddr, '--count', '1', '--tui']);
    } finally {
      if (tty) Object.defineProperty(process.stdout, 'isTTY', tty);
      else delete (process.stdout as { isTTY?: boolean }).isTTY;
    }
    expect(run.code).toBe(0);
    expect(tui.shown).toHaveLength(1);
    const shown = tui.shown[0] as { flows: { verdict: string; rewrites: { field: string; cause?: { kind: string } }[] }[] };
    expect(shown.flows.map((f) => f.verdict)).toEqual(['ok']);
    expect(shown.flows[0]!.rewrites.map((r) => r.field)).toEqual(['src', 'dst']);
    expect(shown.flows[0]!.rewrites[0]!.cause?.kind).toBe('rule');
    expect(JSON.stringify(shown.flows[0]!.rewrites[0]!.cause)).toContain('-j MASQUERADE');
    expect(tui.stderrWhileShown).toEqual([0]);
    expect(run.stderr).toBe('hoptrace: 1 of 1 echo requests sent, 1 reply\n');
    expect(run.stdout).toContain(`flow 1: icmp ${ip} -> ${lab.outsideAddr}: ok (1 request, 1 reply)\n`);
  });

  it('path: the four hops with their namespaces and addresses, the routes and the MASQUERADE rule; --json the same hops', async () => {
    const run = await runInProcess(written, lab, ['path', NAME, lab.outsideAddr]);
    expect([run.code, run.stderr]).toEqual([0, '']);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^path of container ${NAME} \\([0-9a-f]{12}\\) to ${lab.outsideAddr} \\(veth into a bridge\\):$`));
    expect(lines.slice(1, 5).map((l) => l.replace(/ +/g, ' '))).toEqual([
      ` 1. ${NAME} eth0 container netns container:${NAME}, ${ip}, mtu 1500`,
      ` 2. ${veth} veth netns host, no address, mtu 1500`,
      ' 3. docker0 bridge netns host, 198.18.0.1, mtu 1500',
      ` 4. eth0 uplink netns host, ${lab.uplinkAddr}, ${lab.uplinkAddr6}, mtu 1500`,
    ]);
    expect(lines).toContain('  -A POSTROUTING -s 198.18.0.0/24 ! -o docker0 -j MASQUERADE');
    const json = await runInProcess(written, lab, ['path', NAME, '--json']);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect([doc.mode, doc.destination]).toEqual(['bridge', null]);
    expect(doc.hops.map((h: { name: string; role: string; netns: string }) => [h.name, h.role, h.netns])).toEqual([
      [`${NAME} eth0`, 'container', `container:${NAME}`], [veth, 'veth', 'host'], ['docker0', 'bridge', 'host'], ['eth0', 'uplink', 'host'],
    ]);
  });

  it('udp to a port nobody listens on --text: rejected by the port unreachable from beyond eth0, exit 1', async () => {
    const run = await runInProcess(written, lab, ['udp', NAME, `${lab.outsideAddr}:53`, '--timeout', '0.5', '--text']);
    expect(run.code).toBe(1);
    const flow = new RegExp(`^flow 1: udp ${ip.replaceAll('.', '\\.')}:\\d+ -> ${lab.outsideAddr.replaceAll('.', '\\.')}:53: rejected \\(1 request, 1 reply\\)$`);
    const err = run.stderr.split('\n');
    expect(err[0]).toBe(`hoptrace: capturing on ${hops} (Ctrl-C to stop)`);
    expect(err[1]).toMatch(new RegExp(`^hoptrace: UDP datagram to ${lab.outsideAddr}:53: refused after \\d+(\\.\\d)? ms$`));
    expect(err[2]).toMatch(flow);
    expect(err.slice(3)).toEqual(['']);
    const out = run.stdout.split('\n');
    expect(out.filter((l) => flow.test(l))).toHaveLength(1);
    expect(out).toContain(`  verdict: rejected: ICMP port unreachable from ${lab.outsideAddr}, beyond eth0, answered the request.`);
    expect(out.slice(-2)).toEqual(['1 flow, 1 not ok', '']);
  });

  it('doctor, text and --json: route, resolver and echo ok; TCP and DNS refused by the outside host, each with its why; exit 1', async () => {
    const name = `${NAME}-doc`;
    runContainer(lab, name, '--dns', lab.outsideAddr);
    try {
      const args = ['doctor', name, lab.outsideAddr, '--port', '9', '--name', 'example.test'];
      const text = await runInProcess(written, lab, args);
      expect([text.code, text.stderr]).toEqual([1, '']);
      expect(text.stdout).toBe([
        `doctor ${name} -> ${lab.outsideAddr}`,
        'ok    default route via 198.18.0.1 dev eth0',
        `ok    resolver ${lab.outsideAddr} (set with --dns)`,
        `ok    ICMP echo to ${lab.outsideAddr}: answered`,
        `FAIL  TCP connect to ${lab.outsideAddr}:9: refused`,
        '      why: the cause is not known: no rule or setting on this host counted these packets',
        `FAIL  DNS query for example.test via ${lab.outsideAddr}: refused`,
        '      why: no rule or setting here accounts for it: the packets left this host by eth0',
        '',
      ].join('\n'));
      const json = await runInProcess(written, lab, [...args, '--json']);
      expect([json.code, json.stderr]).toEqual([1, '']);
      const doc = JSON.parse(json.stdout);
      expect([doc.container, doc.destination]).toEqual([name, lab.outsideAddr]);
      expect(doc.steps.map((s: { step: string; ok: boolean; subject: string; probe?: { outcome: string } }) => [s.step, s.ok, s.subject, s.probe?.outcome])).toEqual([
        ['default-route', true, 'via 198.18.0.1 dev eth0', undefined],
        ['resolver', true, lab.outsideAddr, undefined],
        ['icmp', true, lab.outsideAddr, 'ok'],
        ['tcp', false, `${lab.outsideAddr}:9`, 'refused'],
        ['dns', false, `example.test via ${lab.outsideAddr}`, 'refused'],
      ]);
    } finally {
      removeContainers(lab, name);
    }
  });
});
