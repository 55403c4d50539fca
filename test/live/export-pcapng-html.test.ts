// hoptrace ping with --record, --pcapng and --html at once, against the real Docker lab: the
// pcapng replays to the very report of the recorded directory (host.json's causes included:
// the pcapng carries the host's state), tshark sees one interface per hop with the SNAT comment
// on the uplink, and the page names the hops and the verdict. With a DROP in DOCKER-USER, the
// vanished requests' last comments name the rule as the text report's why: line does.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, hoptrace, inNetns, jsonReport, labUp, removeContainers, runContainer, skipReason, type LabEnv } from './support.js';

const skip = skipReason() ?? (spawnSync('sh', ['-c', 'command -v tshark']).status === 0 ? undefined : 'tshark is not installed');
const NAME = `htl-${process.pid}-exp`;

describe.skipIf(skip)(`hoptrace ping --record --pcapng --html${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lab: LabEnv | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'hoptrace-exp-'));
  beforeAll(() => {
    buildCli();
    lab = labUp();
    runContainer(lab, NAME);
  });
  afterAll(() => {
    removeContainers(lab, NAME);
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a pcapng that replays to the recorded trace\'s report, and a page with the hops and the verdict', () => {
    const [trace, pcapng, html] = [join(dir, 'trace'), join(dir, 'live.pcapng'), join(dir, 'live.html')];
    const live = hoptrace(['ping', NAME, lab!.outsideAddr, '--count', '3', '--interval', '0.2', '--json', '--record', trace, '--pcapng', pcapng, '--html', html], {
      DOCKER_HOST: lab!.dockerHost,
    });
    const liveReport = jsonReport(live);
    expect(liveReport.flows[0]!.verdict).toBe('ok');
    // The pcapng carries the host state --record wrote to host.json: its replay gives the same causes.
    const fromDir = hoptrace(['replay', trace]);
    const fromPcapng = hoptrace(['replay', pcapng]);
    expect(fromDir.stdout).toContain('why: source rewritten by a rule in chain POSTROUTING');
    expect(fromPcapng.stdout).toBe(fromDir.stdout);
    expect(fromPcapng.status).toBe(live.status);
    const hopNames = liveReport.hops.map((h) => h.name);
    const rows = spawnSync('tshark', ['-r', pcapng, '-T', 'fields', '-E', 'occurrence=f', '-e', 'frame.interface_name', '-e', 'frame.comment', '-e', 'icmp.type'], { encoding: 'utf8' })
      .stdout.trimEnd()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(new Set(rows.map((r) => r[0]))).toEqual(new Set(hopNames));
    const uplink = hopNames[hopNames.length - 1];
    const snat = rows.filter((r) => r[0] === uplink && r[2] === '8');
    expect(snat.length).toBe(3);
    for (const r of snat) expect(r[1]).toMatch(new RegExp(` · SNAT src ${liveReport.flows[0]!.initiator.replace(/\./g, '\\.')} -> [0-9.]+ since `));
    const page = readFileSync(html, 'utf8');
    for (const [i, name] of hopNames.entries()) expect(page).toContain(`>${i + 1}. ${name}</text>`);
    expect(page).toContain('<strong>verdict:</strong> ok: requests reached');
  });

  it('a DROP in DOCKER-USER: the requests that vanished before eth0 end with the rule, as the why: line; the replay of the pcapng says the same', () => {
    const out = lab!.outsideAddr;
    const rule = `-A DOCKER-USER -d ${out}/32 -p icmp -j DROP`;
    const why = `why: dropped by a rule in chain DOCKER-USER of table filter (iptables-nft), which counted 2 packets during the trace: \`${rule}\``;
    const [trace, pcapng] = [join(dir, 'drop'), join(dir, 'drop.pcapng')];
    inNetns(lab!.nsHost, 'iptables', '-I', 'DOCKER-USER', '-d', out, '-p', 'icmp', '-j', 'DROP');
    let live;
    try {
      live = hoptrace(['ping', NAME, out, '--count', '2', '--interval', '0.2', '--text', '--record', trace, '--pcapng', pcapng], { DOCKER_HOST: lab!.dockerHost });
    } finally {
      inNetns(lab!.nsHost, 'iptables', '-D', 'DOCKER-USER', '-d', out, '-p', 'icmp', '-j', 'DROP');
    }
    expect(live.status, live.stderr).toBe(1);
    expect(live.stdout).toContain(`  verdict: dropped: requests vanished between docker0 and eth0 (last seen at docker0).\n  ${why}\n`);
    const fromPcapng = hoptrace(['replay', pcapng, '--text']);
    expect(fromPcapng.stdout).toBe(hoptrace(['replay', trace, '--text']).stdout);
    expect(fromPcapng.stdout).toContain(`  ${why}\n`);
    const rows = spawnSync('tshark', ['-r', pcapng, '-T', 'fields', '-E', 'occurrence=f', '-e', 'frame.interface_name', '-e', 'frame.comment'], { encoding: 'utf8' })
      .stdout.trimEnd()
      .split('\n')
      .map((l) => l.split('\t'));
    const named = rows.filter((r) => r[1]?.includes('why:'));
    expect(named.map((r) => r[0])).toEqual(['docker0', 'docker0']);
    for (const [i, r] of named.entries()) expect(r[1]).toBe(`flow 1 journey ${i + 1} request · hop 3 docker0 · not seen at eth0: vanished between docker0 and eth0 · ${why}`);
  });
});
