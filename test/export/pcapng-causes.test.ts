// A vanished packet's last comment names its cause, in the words of the text report's why:
// line, and the pcapng carries the host's state, so its replay gives the same causes. The
// traces are recorded fixtures with a host.json beside them: fixtures that come with one, and
// ip-forward-off (three echoes to 203.0.113.2: two vanish between docker0 and eth0, the last is
// still on its way) with the lab's host state from test/why/data and net.ipv4.ip_forward = 0.
// The controls: the same host state with forwarding on, where the rule that fits the packets
// counted none of them (the cause is not known), and the same fixture without host.json.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hostEvidence, writeHostFile, type HostEvidence } from '../../src/evidence/host-file.js';
import { snapshot } from '../why/data.js';
import { FIXTURES, TRACE_FIXTURES, hoptrace, scratchDir, tshark, which } from './support.js';

vi.setConfig({ testTimeout: 90_000 });

const haveTshark = which('tshark') !== null;
const dir = scratchDir('causes');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const NOT_KNOWN_WHY = 'why: the cause is not known: the rule that fits them, `-A DOCKER-USER -d 203.0.113.2/32 -p icmp -j DROP`, counted 0 of their 3 packets';
const FORWARD_WHY = 'why: the host does not forward IPv4 packets: net.ipv4.ip_forward = 0';
const VANISHED = (journey: number) => `flow 1 journey ${journey} request · hop 3 docker0 · not seen at eth0: vanished between docker0 and eth0`;

function labEvidence(sysctls: Record<string, string> = {}): HostEvidence {
  const at = (when: 'before' | 'after') => ({ ...snapshot(when), sysctls: { ...snapshot(when).sysctls, ...sysctls } });
  return hostEvidence([{ role: 'host', before: at('before'), after: at('after') }]);
}

/** A copy of a fixture directory, with host.json when given. */
function traceWith(fixture: string, name: string, evidence?: HostEvidence): string {
  const trace = path.join(dir, name);
  fs.mkdirSync(trace);
  for (const f of fs.readdirSync(path.join(FIXTURES, fixture))) fs.copyFileSync(path.join(FIXTURES, fixture, f), path.join(trace, f));
  if (evidence) writeHostFile(path.join(trace, 'host.json'), evidence);
  return trace;
}

/** Exports the trace, and returns the file with both reports of the round trip. */
function exported(trace: string) {
  const file = `${trace}.pcapng`;
  const direct = hoptrace(['replay', trace, '--text', '--pcapng', file]);
  expect(direct.stderr).toBe('');
  const again = hoptrace(['replay', file, '--text']);
  expect(again.stderr).toBe('');
  return { file, direct, again };
}

function comments(file: string): { iface: string; comments: string[] }[] {
  const out = tshark(['-r', file, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=|', '-e', 'frame.interface_name', '-e', 'frame.comment']);
  expect(out.stderr).toBe('');
  return out.stdout.trimEnd().split('\n').map((line) => {
    const [iface, c] = line.split('\t');
    return { iface: iface!, comments: c ? c.split('|') : [] };
  });
}

/** The section header's comments, as capinfos shows them. */
function captureComments(file: string): string[] {
  const out = tshark(['-r', file, '-q', '-z', 'io,stat,0']);
  expect(out.code).toBe(0);
  const info = fs.readFileSync(file);
  const length = info.readUInt32LE(4);
  const found: string[] = [];
  for (let p = 24; p + 4 <= length - 4; ) {
    const code = info.readUInt16LE(p);
    const size = info.readUInt16LE(p + 2);
    if (code === 0) break;
    if (code === 1) found.push(info.toString('utf8', p + 4, p + 4 + size));
    p += 4 + ((size + 3) & ~3);
  }
  return found;
}

function blockProblems(file: string): string {
  const out = tshark(['-r', file, '-X', 'read_format:MIME Files Format', '-q', '-z', 'expert']);
  return `${out.stdout.trim()}${out.stderr}`;
}

describe.skipIf(!haveTshark)('the cause of a vanished packet in its last comment', () => {
  let unknown: ReturnType<typeof exported>;
  let forward: ReturnType<typeof exported>;
  let none: ReturnType<typeof exported>;
  beforeAll(() => {
    unknown = exported(traceWith('ip-forward-off', 'unknown', labEvidence()));
    forward = exported(traceWith('ip-forward-off', 'forward', labEvidence({ 'net.ipv4.ip_forward': '0' })));
    none = exported(traceWith('ip-forward-off', 'none'));
  }, 120_000);

  it('forwarding off: the two vanished requests end with the why: line the text report prints; the one still on its way does not', () => {
    expect(forward.direct.stdout).toContain(`  ${FORWARD_WHY}\n`);
    const docker0 = comments(forward.file).filter((r) => r.iface === 'docker0');
    expect(docker0.map((r) => r.comments)).toEqual([
      [`${VANISHED(1)} · ${FORWARD_WHY}`, 'hoptrace: flow=1 journey=1 direction=request hop=2 step=3/3 prev_hop=1 vanished=2-3 cause=forwarding-off'],
      [`${VANISHED(2)} · ${FORWARD_WHY}`, 'hoptrace: flow=1 journey=2 direction=request hop=2 step=3/3 prev_hop=1 vanished=2-3 cause=forwarding-off'],
      // Not lost, so no cause: still on its way when the capture ended.
      ['flow 1 journey 3 request · hop 3 docker0 · still on its way from docker0 to eth0 when the capture ended', 'hoptrace: flow=1 journey=3 direction=request hop=2 step=3/3 prev_hop=1 in_flight=2-3'],
    ]);
    // Only the last sighting says it: the same packets at c1 eth0 and the veth carry no cause.
    expect(comments(forward.file).filter((r) => r.iface !== 'docker0').some((r) => /why:|cause=/.test(r.comments.join()))).toBe(false);
  });

  it('a cause that is not known is not written: the comments stay as without host state, though the report says why not (the control)', () => {
    expect(unknown.direct.stdout).toContain(`  ${NOT_KNOWN_WHY}\n`);
    const all = comments(unknown.file);
    expect(all.filter((r) => r.comments[0]?.includes('vanished')).map((r) => r.comments[0])).toEqual([VANISHED(1), VANISHED(2)]);
    expect(all.some((r) => /why:|cause=/.test(r.comments.join('|')))).toBe(false);
  });

  it('without host.json: no cause words in any comment and no host state in the section header (the control)', () => {
    const all = comments(none.file);
    expect(all.filter((r) => r.comments[0]?.includes('vanished')).map((r) => r.comments[0])).toEqual([VANISHED(1), VANISHED(2)]);
    expect(all.some((r) => /why:|cause=/.test(r.comments.join('|')))).toBe(false);
    expect(captureComments(none.file).some((c) => c.startsWith('hoptrace-host '))).toBe(false);
    expect(none.again.stdout).toContain("why: not known: these captures come without the host's state");
  });

  it('the section header carries the host state; no malformed block in any of the three', () => {
    for (const e of [unknown, forward]) {
      const carried = captureComments(e.file).filter((c) => c.startsWith('hoptrace-host '));
      expect(carried.map((c) => c.slice(0, 'hoptrace-host 1/1: {"format":"hoptrace-host"'.length))).toEqual(['hoptrace-host 1/1: {"format":"hoptrace-host"']);
    }
    for (const e of [unknown, forward, none]) expect(blockProblems(e.file)).toBe('');
  });

  it('replay of each pcapng gives the report of its trace directory, causes included', () => {
    for (const e of [unknown, forward, none]) {
      expect(e.again.stdout).toBe(e.direct.stdout);
      expect(e.again.code).toBe(e.direct.code);
    }
    expect(forward.again.stdout).toContain(`  ${FORWARD_WHY}\n`);
  });

  it('a host state larger than one comment is carried in several, in order, and read back whole', () => {
    const big = labEvidence({ 'net.ipv4.ip_forward': '0' });
    const host = big.namespaces[0]!;
    // Conntrack entries of other connections: causes do not change, the JSON grows past 60,000 bytes.
    host.after = { ...host.after, conntrack: Array.from({ length: 400 }, () => host.after.conntrack).flat() };
    const e = exported(traceWith('ip-forward-off', 'big', big));
    const carried = captureComments(e.file).filter((c) => c.startsWith('hoptrace-host '));
    expect(carried.length).toBeGreaterThan(1);
    expect(carried.map((c) => c.split(':')[0])).toEqual(carried.map((_, i) => `hoptrace-host ${i + 1}/${carried.length}`));
    expect(e.again.stdout).toBe(e.direct.stdout);
    expect(e.again.stdout).toContain(`  ${FORWARD_WHY}\n`);
    expect(blockProblems(e.file)).toBe('');
  });

  it('a pcapng whose host state is cut short is refused, naming the file and what is missing', () => {
    const bytes = fs.readFileSync(forward.file);
    const at = bytes.indexOf('hoptrace-host 1/1: ');
    bytes.write('hoptrace-host 1/2: ', at);
    const bad = path.join(dir, 'cut.pcapng');
    fs.writeFileSync(bad, bytes);
    const run = hoptrace(['replay', bad]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`hoptrace: ${bad}: section header: host state comments 1..1 of 2: the rest are missing\n`);
  });
});

const RECORDED_WITH_HOST = TRACE_FIXTURES.filter((n) => fs.existsSync(path.join(FIXTURES, n, 'host.json')));

describe.skipIf(!haveTshark)('fixtures recorded with host.json: replay, --pcapng, replay', () => {
  it('record-forward-off-fast (recorded with --record, ip_forward=0): each of the three lost requests names the sysctl on its docker0 sighting, and nothing else does', () => {
    const e = exported(path.join(FIXTURES, 'record-forward-off-fast'));
    expect(e.direct.stdout).toContain(`  ${FORWARD_WHY}\n`);
    expect(e.again.stdout).toBe(e.direct.stdout);
    const named = comments(e.file).filter((r) => /why:|cause=/.test(r.comments.join('|')));
    expect(named.map((r) => [r.iface, r.comments[0]])).toEqual([1, 2, 3].map((j) => ['docker0', `${VANISHED(j)} · ${FORWARD_WHY}`]));
    expect(named.every((r) => r.comments[1]!.endsWith('vanished=2-3 cause=forwarding-off'))).toBe(true);
    fs.rmSync(e.file);
  });

  it.skipIf(RECORDED_WITH_HOST.length === 0)(`the same report, causes included, and only causes that apply named (${RECORDED_WITH_HOST.join(', ') || 'none in fixtures/ yet'})`, async () => {
    for (const name of RECORDED_WITH_HOST) {
      // Several commands per fixture: give the test worker's event loop a turn between fixtures.
      await new Promise((resolve) => setImmediate(resolve));
      const e = exported(path.join(FIXTURES, name));
      expect(e.again.stdout).toBe(e.direct.stdout);
      const report = JSON.parse(hoptrace(['replay', path.join(FIXTURES, name), '--json']).stdout);
      const named = comments(e.file).filter((r) => r.comments[0]?.includes(' · why: '));
      const known = report.flows.some((f: { cause?: { detail: { type: string } }; dropBetween: unknown }) => f.dropBetween && f.cause && f.cause.detail.type !== 'not-known');
      if (!known) expect(named).toEqual([]);
      for (const r of named) expect(r.comments[0]).toMatch(/ · not seen at .+: vanished between .+ · why: /);
      expect(blockProblems(e.file)).toBe('');
      fs.rmSync(e.file);
    }
  });
});

if (!haveTshark) {
  describe('the cause of a vanished packet in its last comment', () => {
    it.skip('skipped: tshark is not installed (apt-get install tshark, or scripts/setup.sh)', () => undefined);
  });
}
