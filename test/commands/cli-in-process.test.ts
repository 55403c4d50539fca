// The command line run in-process (main() of src/cli.ts), so that StrykerJS's mutants of
// src/commands are seen (the spawned bin/hoptrace.js runs dist/, not the mutated sources):
// what each output mode prints for a real recording, the exit code of an ok, a not-ok and an
// empty report, warnings on stderr, the help texts, and the usage errors of the live commands
// that are refused before anything is captured. stdout's blocking writer is replaced by one
// that keeps the text; everything else is the real code.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

const written = vi.hoisted(() => ({ stdout: [] as string[], failure: undefined as string | undefined }));
vi.mock('../../src/render/stdout.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/render/stdout.js')>();
  return {
    ...real,
    blockingWriter: () => ({
      write: (text: string) => void written.stdout.push(text),
      get failure() {
        return written.failure;
      },
    }),
  };
});

// The Ink UI itself is tested in test/tui; here only what replay hands it and does with its report.
// It also records what a view would see: the journeys that arrive after it subscribed (a replay
// for the UI plays after the view is there, as a live capture does), and what explainFlow gives
// for each flow of the report (the causes the UI's detail shows).
const tui = vi.hoisted(() => ({ calls: [] as { color: boolean; speedNote?: string }[], journeys: [] as number[], explained: [] as unknown[] }));
vi.mock('../../src/render/tui/index.js', () => ({
  runTui: async (
    session: { report: Promise<{ flows: unknown[] }>; subscribe: (l: (e: { kind: string }) => void) => () => void },
    options: { color: boolean; speedNote?: string; explainFlow?: (flow: unknown) => unknown },
  ) => {
    tui.calls.push({ color: options.color, speedNote: options.speedNote });
    let journeys = 0;
    const off = session.subscribe((e) => void (e.kind === 'journey' && journeys++));
    const report = await session.report;
    off();
    tui.journeys.push(journeys);
    for (const flow of report.flows) tui.explained.push(options.explainFlow?.(flow));
    return report;
  },
}));

const { main } = await import('../../src/cli.js');
const { hostEvidence, writeHostFile } = await import('../../src/evidence/host-file.js');
const { snapshot } = await import('../why/data.js');
const { whyText } = await import('../../src/evidence/words.js');

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'fixtures');

let stderr: string[];
let direct: string[];

// main() watches process.stdout for write errors once per run; a real run calls it once, this
// file dozens of times: without this Node would warn about the listeners on stderr.
const listeners = process.stdout.getMaxListeners();
beforeAll(() => void process.stdout.setMaxListeners(0));
afterAll(() => void process.stdout.setMaxListeners(listeners));

beforeEach(() => {
  written.stdout = [];
  written.failure = undefined;
  stderr = [];
  direct = [];
  vi.stubEnv('NO_COLOR', '1');
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (stderr.push(String(chunk)), true));
  // commander prints --help through process.stdout.write.
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (direct.push(String(chunk)), true));
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

async function hoptrace(...args: string[]) {
  written.stdout = [];
  stderr = [];
  direct = [];
  const code = await main(['node', 'hoptrace', ...args]);
  return { code, stdout: written.stdout.join(''), stderr: stderr.join(''), direct: direct.join('') };
}

const PING_OUT_TEXT = [
  'path: 1. c1 eth0 (198.18.0.2)  2. vetha119e59  3. docker0 (198.18.0.1)  4. eth0 (203.0.113.1)',
  'packets per hop: c1 eth0 6, vetha119e59 6, docker0 6, eth0 6',
  'timestamps: taken from the capture files (each hop by its own capture)',
  '',
  'flow 1: icmp 198.18.0.2 -> 203.0.113.2: ok (3 requests, 3 replies)',
  '   1. c1 eth0',
  '       | requests 13 us (12..14 us) ttl same, replies 1.7 us (1..3 us) ttl same',
  '   2. vetha119e59',
  '       | requests 23.3 us (19..31 us) ttl same, replies 3 us (3..3 us) ttl same',
  '   3. docker0',
  '       | requests 49 us (23..101 us) ttl -1, replies 7.7 us (7..9 us) ttl -1',
  '       | SNAT src 198.18.0.2 -> 203.0.113.1 between docker0 and eth0',
  '       | un-SNAT dst 203.0.113.1 -> 198.18.0.2 between eth0 and docker0 (replies)',
  '   4. eth0',
  '  verdict: ok: requests reached eth0 and the answers came back.',
  '',
  "why: not known: these captures come without the host's state (firewall rules and their counters, conntrack, settings), which `hoptrace --record` writes to host.json beside the pcaps",
  '',
  '1 flow, 0 not ok',
  '',
].join('\n');

describe('hoptrace replay, in-process', () => {
  it('prints the whole ping-out text report on stdout, nothing on stderr, and exits 0', async () => {
    expect(await hoptrace('replay', path.join(FIXTURES, 'ping-out'))).toEqual({ code: 0, stdout: PING_OUT_TEXT, stderr: '', direct: '' });
  });

  it('--text prints the same text report', async () => {
    expect((await hoptrace('replay', path.join(FIXTURES, 'ping-out'), '--text')).stdout).toBe(PING_OUT_TEXT);
  });

  it('exits 1 for a not-ok flow: ip-forward-off is dropped between docker0 and eth0', async () => {
    const { code, stdout, stderr: err } = await hoptrace('replay', path.join(FIXTURES, 'ip-forward-off'));
    expect(err).toBe('');
    expect(code).toBe(1);
    expect(stdout).toContain('flow 1: icmp 198.18.0.2 -> 203.0.113.2: dropped (3 requests, 0 replies)\n');
    expect(stdout.endsWith('\n1 flow, 1 not ok\n')).toBe(true);
  });

  it('exits 1 when no flow is left (a --filter that keeps none), saying so', async () => {
    const { code, stdout } = await hoptrace('replay', path.join(FIXTURES, 'ping-out'), '--filter', 'tcp');
    expect(code).toBe(1);
    expect(stdout.split('\n').slice(-3)).toEqual(["no flow of the traced container matches --filter 'tcp'.", '0 flows, 0 not ok', '']);
  });

  it('--json prints one JSON document of format 2 with the flow and its verdict', async () => {
    const { code, stdout } = await hoptrace('replay', path.join(FIXTURES, 'ping-out'), '--json');
    expect(code).toBe(0);
    const doc = JSON.parse(stdout);
    expect(doc.format).toBe(2);
    expect(doc.hops.map((h: { name: string }) => h.name)).toEqual(['c1 eth0', 'vetha119e59', 'docker0', 'eth0']);
    expect(doc.flows.map((f: { verdict: string; initiator: string; responder: string }) => [f.verdict, f.initiator, f.responder])).toEqual([['ok', '198.18.0.2', '203.0.113.2']]);
    expect(doc.summary.packetsPerHop).toEqual([6, 6, 6, 6]);
  });

  it('--jsonl prints one line per flow, then the summary line with the counts', async () => {
    const { code, stdout } = await hoptrace('replay', path.join(FIXTURES, 'ip-forward-off'), '--jsonl');
    expect(code).toBe(1);
    const lines = stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ id: 1, verdict: 'dropped', dropBetween: ['docker0', 'eth0'] });
    expect(lines[1]).toMatchObject({ flows: 1, notOk: 1, summary: { packetsPerHop: [3, 3, 3, 0] } });
  });

  it('--jsonl wins over the text default and over --json', async () => {
    const both = await hoptrace('replay', path.join(FIXTURES, 'ping-out'), '--jsonl', '--json');
    expect(both.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(JSON.parse(both.stdout.split('\n')[1]!)).toMatchObject({ flows: 1, notOk: 0 });
  });

  it('a stdout that cannot be written is one error line and exit 2, whatever the report', async () => {
    written.failure = 'ENOSPC';
    expect(await hoptrace('replay', path.join(FIXTURES, 'ping-out'))).toMatchObject({ code: 2, stderr: 'hoptrace: cannot write to stdout: ENOSPC\n' });
  });

  it('a reader gone away (EPIPE) keeps the report\'s exit code', async () => {
    written.failure = 'EPIPE';
    expect(await hoptrace('replay', path.join(FIXTURES, 'ip-forward-off'))).toMatchObject({ code: 1, stderr: '' });
  });

  it('a file cut short is read up to the cut, with the reader\'s warning on stderr', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-cut-'));
    try {
      const whole = fs.readFileSync(path.join(FIXTURES, 'ping-out', '01-c1-eth0.pcap'));
      fs.writeFileSync(path.join(dir, 'cut.pcap'), whole.subarray(0, whole.length - 10));
      const { code, stdout, stderr: err } = await hoptrace('replay', path.join(dir, 'cut.pcap'));
      expect(err).toMatch(/^hoptrace: warning: [^\n]*cut\.pcap: offset \d+: [^\n]+\n$/);
      expect(stdout).toContain('packets per hop: cut 5\n');
      expect(code).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing trace is one line naming it, exit 2', async () => {
    const { code, stderr: err, stdout } = await hoptrace('replay', path.join(FIXTURES, 'no-such-trace'));
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(err.startsWith(`hoptrace: ${path.join(FIXTURES, 'no-such-trace')}: `)).toBe(true);
    expect(err).toBe(`hoptrace: ${path.join(FIXTURES, 'no-such-trace')}: offset 0: cannot open: no such file\n`);
  });

  it('--help exits 0 and lists every option with its words and defaults', async () => {
    const { code, direct: help } = await hoptrace('replay', '--help');
    expect(code).toBe(0);
    expect(help).toBe(
      [
        'Usage: hoptrace replay [options] <trace...>',
        '',
        'report on recorded captures: a trace directory (path.json + one pcap per hop),',
        'several capture files (one hop each), one multi-interface pcapng, or one',
        '`tcpdump -i any` (LINUX_SLL2) capture',
        '',
        'Arguments:',
        '  trace                   trace directory or capture files, in path order',
        '',
        'Options:',
        '  --json                  print one JSON document (see',
        '                          schema/report.schema.json)',
        '  --jsonl                 print JSON Lines: one flow per line as its verdict',
        '                          settles, then a summary line (see',
        '                          schema/report-lines.schema.json)',
        '  --text                  print text even on a terminal',
        '  --tui                   play the trace through the terminal UI',
        '  --speed <factor>        with --tui: 0 as fast as possible, 1 real time',
        '                          (default: 0)',
        '  --filter <expr>         keep only flows matching a pcap-filter-like',
        "                          expression: host, net, port (src/dst: the",
        "                          initiator's/responder's side), tcp, udp, icmp, icmp6,",
        '                          ip, ip6, and/or/not, parentheses',
        '  --window <ms>           longest a packet may take from one hop to the next',
        '                          (default: 500)',
        '  --pcapng <file>         also write the trace as one pcapng for Wireshark: one',
        '                          interface per hop, each packet commented with its',
        '                          flow, journey and rewrites',
        '  --html <file>           also write the report as one self-contained HTML page',
        '                          with a ladder diagram per flow',
        '  --pcap-reader <reader>  reader for classic pcap: native (hoptrace\'s own, about',
        '                          twice as fast), or the pcap-parser package (choices:',
        '                          "native", "pcap-parser", default: "native")',
        '  --threads <n>           read the hop files in n worker threads (0: on the main',
        '                          thread; a whole number up to 64) (default: 0)',
        '  --allow-outside-files   read files a trace directory names outside itself (a',
        '                          path with .., an absolute path, a link out, a hard',
        '                          link); the report names them',
        '  -h, --help              display help for command',
        '',
      ].join('\n'),
    );
  });

  it('--pcap-reader pcap-parser gives the same report; an unknown reader is a usage error', async () => {
    expect((await hoptrace('replay', path.join(FIXTURES, 'ping-out'), '--pcap-reader', 'pcap-parser')).stdout).toBe(PING_OUT_TEXT);
    expect(await hoptrace('replay', path.join(FIXTURES, 'ping-out'), '--pcap-reader', 'fast')).toMatchObject({
      code: 2,
      stdout: '',
      stderr: "hoptrace: option '--pcap-reader <reader>' argument 'fast' is invalid. Allowed choices are native, pcap-parser. (hoptrace --help for usage)\n",
    });
  });

  it('--window narrower than the hops\' transit splits the journeys: the same capture is no longer ok', async () => {
    const { code, stdout } = await hoptrace('replay', path.join(FIXTURES, 'ping-out'), '--window', '0.001', '--jsonl');
    expect(code).toBe(1);
    // ping-out's slowest step (docker0 -> eth0) takes up to 101 us: with a 1 us window no packet is matched across it.
    expect(JSON.parse(stdout.trimEnd().split('\n').at(-1)!)).toMatchObject({ flows: 3, notOk: 3, summary: { otherFlows: 1 } });
  });
});

describe('hoptrace replay of a trace directory with host.json', () => {
  it('takes the causes from it; the same captures given as files are said to come without the host\'s state', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-hostjson-'));
    try {
      const source = path.join(FIXTURES, 'ip-forward-off');
      for (const f of fs.readdirSync(source)) fs.copyFileSync(path.join(source, f), path.join(dir, f));
      // The lab's ruleset of test/why/data: its DOCKER-USER rule for 203.0.113.2 counted none of these packets.
      writeHostFile(path.join(dir, 'host.json'), hostEvidence([{ role: 'host', before: snapshot('before'), after: snapshot('after') }]));
      const withHost = await hoptrace('replay', dir);
      expect(withHost.code).toBe(1);
      expect(withHost.stdout.split('\n').slice(-5)).toEqual([
        '  verdict: dropped: requests vanished between docker0 and eth0 (last seen at docker0).',
        '  why: the cause is not known: the rule that fits them, `-A DOCKER-USER -d 203.0.113.2/32 -p icmp -j DROP`, counted 0 of their 3 packets',
        '',
        '1 flow, 1 not ok',
        '',
      ]);
      const files = fs.readdirSync(dir).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(dir, f));
      const asFiles = await hoptrace('replay', ...files);
      expect(asFiles.stdout).toContain("\nwhy: not known: these captures come without the host's state (firewall rules and their counters, conntrack, settings), which `hoptrace --record` writes to host.json beside the pcaps\n");
      expect(asFiles.stdout).not.toContain('DOCKER-USER');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('hoptrace replay: what replay.ts decides beside the report', () => {
  it("the host's lo (recorded for docker-proxy's relays) is left out of the path, and the relayed flow says so", async () => {
    const { code, stdout, stderr: err } = await hoptrace('replay', path.join(FIXTURES, 'why', 'relay-docker-proxy'));
    expect([code, err]).toEqual([0, '']);
    expect(stdout.split('\n')[0]).toBe('path: 1. c1 eth0 (198.18.0.2)  2. veth08c4035  3. docker0 (198.18.0.1)  4. eth0 (203.0.113.1, 2001:db8::1)');
    expect(stdout).toContain('\n  why: relayed by docker-proxy (pid 20839): 127.0.0.1:56254 -> 127.0.0.1:8080 became 198.18.0.1:57142 -> 198.18.0.2:80 (the same first 77 bytes, 450 us later)\n');
    expect(stdout.endsWith('\n2 flows, 0 not ok\n')).toBe(true);
  });

  it("--pcapng of a trace with the host's lo: the pcapng holds the path's four hops, not lo", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-relay-pcapng-'));
    try {
      const out = path.join(dir, 'relay.pcapng');
      expect((await hoptrace('replay', path.join(FIXTURES, 'why', 'relay-docker-proxy'), '--pcapng', out)).code).toBe(0);
      // One interface description block (type 1) per hop written.
      const file = fs.readFileSync(out);
      let interfaces = 0;
      for (let at = 0; at + 8 <= file.length; at += file.readUInt32LE(at + 4)) if (file.readUInt32LE(at) === 1) interfaces++;
      expect(interfaces).toBe(4);
      const again = await hoptrace('replay', out);
      expect(again.stdout.split('\n').slice(0, 2)).toEqual([
        'path: 1. c1 eth0 (198.18.0.2)  2. veth08c4035  3. docker0 (198.18.0.1)  4. eth0 (203.0.113.1, 2001:db8::1)',
        'packets per hop: c1 eth0 27, veth08c4035 27, docker0 25, eth0 13',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--threads out of range names the option, exit 2', async () => {
    expect(await hoptrace('replay', path.join(FIXTURES, 'ping-out'), '--threads', '65')).toEqual({
      code: 2, stdout: '', direct: '', stderr: "hoptrace: --threads must be a whole number from 0 to 64, not '65'\n",
    });
  });

  it('a file named outside the trace directory: refused, or read with --allow-outside-files and said so', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-outside-'));
    try {
      const trace = path.join(dir, 't');
      fs.mkdirSync(trace);
      const doc = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'ping-out', 'path.json'), 'utf8')) as { hops: { file: string }[] };
      fs.copyFileSync(path.join(FIXTURES, 'ping-out', doc.hops[0]!.file), path.join(dir, doc.hops[0]!.file));
      for (const hop of doc.hops.slice(1)) fs.copyFileSync(path.join(FIXTURES, 'ping-out', hop.file), path.join(trace, hop.file));
      doc.hops[0]!.file = `../${doc.hops[0]!.file}`;
      fs.writeFileSync(path.join(trace, 'path.json'), JSON.stringify(doc));
      expect(await hoptrace('replay', trace)).toEqual({
        code: 2, stdout: '', direct: '',
        stderr: `hoptrace: ${path.join(trace, 'path.json')}: hops[0].file: "../01-c1-eth0.pcap" leads out of the trace directory; refused (--allow-outside-files to read it)\n`,
      });
      const allowed = await hoptrace('replay', trace, '--allow-outside-files');
      expect(allowed.code).toBe(0);
      expect(allowed.stdout).toBe(PING_OUT_TEXT);
      expect(allowed.stderr).toBe(`hoptrace: warning: ${path.join(dir, '01-c1-eth0.pcap')}: offset 0: read with --allow-outside-files: "../01-c1-eth0.pcap" leads out of the trace directory\n`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("one pcapng written by --pcapng carries the host's state: replayed alone it gives the causes; its pcaps given as files do not", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-pcapng-host-'));
    try {
      const out = path.join(dir, 'trace.pcapng');
      const why = '\n  why: the host does not forward IPv4 packets: net.ipv4.ip_forward = 0\n';
      const first = await hoptrace('replay', path.join(FIXTURES, 'record-forward-off-fast'), '--pcapng', out);
      expect([first.code, first.stdout.includes(why)]).toEqual([1, true]);
      const again = await hoptrace('replay', out);
      expect([again.code, again.stderr]).toEqual([1, '']);
      expect(again.stdout).toContain(why);
      const files = fs.readdirSync(path.join(FIXTURES, 'record-forward-off-fast')).filter((f) => f.endsWith('.pcap')).sort().map((f) => path.join(FIXTURES, 'record-forward-off-fast', f));
      const plain = await hoptrace('replay', ...files);
      expect(plain.stdout).not.toContain('ip_forward');
      expect(plain.stdout).toContain("\nwhy: not known: these captures come without the host's state");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('hoptrace replay --tui', () => {
  async function onTerminal<T>(run: () => Promise<T>): Promise<T> {
    const tty = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
    Object.defineProperty(process.stdout, 'isTTY', { value: true, configurable: true });
    try {
      return await run();
    } finally {
      if (tty) Object.defineProperty(process.stdout, 'isTTY', tty);
      else delete (process.stdout as { isTTY?: boolean }).isTTY;
    }
  }
  beforeEach(() => {
    tui.calls = [];
    tui.journeys = [];
    tui.explained = [];
  });

  it('on a terminal plays the trace through the UI, as fast as possible by default, then prints the report', async () => {
    const result = await onTerminal(() => hoptrace('replay', path.join(FIXTURES, 'ping-out'), '--tui'));
    expect(tui.calls).toEqual([{ color: false, speedNote: 'replay as fast as possible' }]);
    expect(result).toEqual({ code: 0, stdout: PING_OUT_TEXT, stderr: '', direct: '' });
  });

  it('the UI sees every journey arrive (the replay plays after it subscribed), and its detail gets each flow with its causes', async () => {
    // A lab recording with its host.json: forwarding was off on the Docker host.
    const result = await onTerminal(() => hoptrace('replay', path.join(FIXTURES, 'record-forward-off-fast'), '--tui'));
    expect(result.code).toBe(1);
    // 3 echo requests, no reply: three journeys.
    expect(tui.journeys).toEqual([3]);
    const flows = tui.explained as { id: number; verdict: string; cause?: Parameters<typeof whyText>[0] }[];
    expect(flows.map((f) => [f.id, f.verdict, f.cause && whyText(f.cause)])).toEqual([[1, 'dropped', 'the host does not forward IPv4 packets: net.ipv4.ip_forward = 0']]);
    // The same cause as the report printed after the UI.
    expect(result.stdout).toContain('\n  why: the host does not forward IPv4 packets: net.ipv4.ip_forward = 0\n');
  });

  it('names the speed it plays at; the exit code is the report\'s', async () => {
    const result = await onTerminal(() => hoptrace('replay', path.join(FIXTURES, 'ip-forward-off'), '--tui', '--speed', '2.5'));
    expect(tui.calls).toEqual([{ color: false, speedNote: 'replay at 2.5x real time' }]);
    expect(result.code).toBe(1);
  });

  it('colours the UI unless NO_COLOR says not to', async () => {
    vi.stubEnv('NO_COLOR', '');
    vi.stubEnv('FORCE_COLOR', '');
    vi.stubEnv('TERM', 'xterm-256color');
    await onTerminal(() => hoptrace('replay', path.join(FIXTURES, 'ping-out'), '--tui'));
    expect(tui.calls.map((c) => c.color)).toEqual([true]);
  });

  it('not without a terminal, and not on a terminal without --tui: then the text report', async () => {
    expect(await hoptrace('replay', path.join(FIXTURES, 'ping-out'), '--tui')).toMatchObject({ code: 0, stdout: PING_OUT_TEXT });
    expect(await onTerminal(() => hoptrace('replay', path.join(FIXTURES, 'ping-out')))).toMatchObject({ code: 0, stdout: PING_OUT_TEXT });
    expect(tui.calls).toEqual([]);
  });

  it('--json wins over --tui', async () => {
    const { stdout } = await onTerminal(() => hoptrace('replay', path.join(FIXTURES, 'ping-out'), '--tui', '--json'));
    expect(tui.calls).toEqual([]);
    expect(JSON.parse(stdout).format).toBe(2);
  });

  // A big replay runs in a worker thread (HOPTRACE_REPLAY_WORKER=1 forces it); the UI and the
  // exports never do: they stay on this thread, which is what these in-process runs see.
  it('with the worker forced, the UI still plays on this thread', async () => {
    vi.stubEnv('HOPTRACE_REPLAY_WORKER', '1');
    const result = await onTerminal(() => hoptrace('replay', path.join(FIXTURES, 'ping-out'), '--tui'));
    expect(tui.calls).toEqual([{ color: false, speedNote: 'replay as fast as possible' }]);
    expect(result).toEqual({ code: 0, stdout: PING_OUT_TEXT, stderr: '', direct: '' });
  });

  it('with the worker forced, --html and --pcapng are written on this thread', async () => {
    vi.stubEnv('HOPTRACE_REPLAY_WORKER', '1');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-worker-exports-'));
    try {
      const html = await hoptrace('replay', path.join(FIXTURES, 'ping-out'), '--html', path.join(dir, 'r.html'));
      expect([html.code, html.stdout, html.stderr]).toEqual([0, PING_OUT_TEXT, '']);
      expect(fs.readFileSync(path.join(dir, 'r.html'), 'utf8').startsWith('<!DOCTYPE html>')).toBe(true);
      const pcapng = await hoptrace('replay', path.join(FIXTURES, 'ping-out'), '--pcapng', path.join(dir, 'r.pcapng'));
      expect([pcapng.code, pcapng.stdout, pcapng.stderr]).toEqual([0, PING_OUT_TEXT, '']);
      // A pcapng starts with its section header block.
      expect(fs.readFileSync(path.join(dir, 'r.pcapng')).readUInt32LE(0)).toBe(0x0a0d0d0a);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('hoptrace replay, the progress line on a terminal', () => {
  /** One capture file of `count` copies of ping-out's first frame, 1 ms apart. */
  function bigCapture(dir: string, count: number): string {
    const source = fs.readFileSync(path.join(FIXTURES, 'ping-out', '01-c1-eth0.pcap'));
    const caplen = source.readUInt32LE(24 + 8);
    const frame = source.subarray(24 + 16, 24 + 16 + caplen);
    const out = Buffer.alloc(24 + count * (16 + caplen));
    source.copy(out, 0, 0, 24);
    for (let i = 0, at = 24; i < count; i++, at += 16 + caplen) {
      out.writeUInt32LE(1_700_000_000 + Math.floor(i / 1000), at);
      out.writeUInt32LE((i % 1000) * 1000, at + 4);
      out.writeUInt32LE(caplen, at + 8);
      out.writeUInt32LE(caplen, at + 12);
      frame.copy(out, at + 16);
    }
    const file = path.join(dir, 'big.pcap');
    fs.writeFileSync(file, out);
    return file;
  }

  it('a replay that takes more than a second says how far it read on stderr, then clears the line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-progress-'));
    const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    try {
      const file = bigCapture(dir, 65_536 * 2 + 10);
      Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
      // Each look at the clock is two seconds later: every progress call is past the first second.
      let now = 0;
      vi.spyOn(Date, 'now').mockImplementation(() => (now += 2000));
      const { code, stderr: err, stdout } = await hoptrace('replay', file, '--jsonl');
      expect(err).toMatch(/^\rreading: \d+%\rreading: \d+%\r\u001b\[K$/);
      const [first, second] = [...err.matchAll(/reading: (\d+)%/g)].map((m) => Number(m[1]));
      expect(first).toBeGreaterThan(0);
      expect(second).toBeGreaterThan(first!);
      expect(second).toBeLessThanOrEqual(100);
      expect(code).toBe(1);
      expect(JSON.parse(stdout.trimEnd().split('\n').at(-1)!)).toMatchObject({ summary: { packetsPerHop: [65_536 * 2 + 10] } });
    } finally {
      if (tty) Object.defineProperty(process.stderr, 'isTTY', tty);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a long replay within its first second prints no progress line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-progress-'));
    const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    try {
      const file = bigCapture(dir, 65_536 * 2 + 10);
      Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
      vi.spyOn(Date, 'now').mockReturnValue(5_000);
      const { code, stderr: err } = await hoptrace('replay', file, '--jsonl');
      expect({ code, err }).toEqual({ code: 1, err: '' });
    } finally {
      if (tty) Object.defineProperty(process.stderr, 'isTTY', tty);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('one that ends within the first second prints no progress line at all', async () => {
    const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    try {
      Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
      expect(await hoptrace('replay', path.join(FIXTURES, 'ping-out'))).toMatchObject({ code: 0, stderr: '' });
    } finally {
      if (tty) Object.defineProperty(process.stderr, 'isTTY', tty);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
    }
  });
});

describe('hoptrace replay refuses option values naming the option, exit 2, before reading anything', () => {
  const cases: [string[], string][] = [
    [['--speed', '-1'], "--speed must be a number from 0 to 1000000, not '-1'"],
    [['--window', '0'], "--window must be a number more than 0 to 3600000, not '0'"],
    [['--pcapng', ''], '--pcapng needs a file name'],
    [['--html', '/nonexistent-hoptrace-dir/report.html'], '--html: cannot write /nonexistent-hoptrace-dir/report.html: no directory /nonexistent-hoptrace-dir'],
    [['--pcapng', '/nonexistent-hoptrace-dir/t.pcapng'], '--pcapng: cannot write /nonexistent-hoptrace-dir/t.pcapng: no directory /nonexistent-hoptrace-dir'],
  ];
  for (const [args, message] of cases) {
    it(`replay ${args.join(' ')}: ${message}`, async () => {
      expect(await hoptrace('replay', path.join(FIXTURES, 'ping-out'), ...args)).toEqual({ code: 2, stdout: '', direct: '', stderr: `hoptrace: ${message}\n` });
    });
  }
});

describe('hoptrace doctor, in-process (what is decided before Docker is asked)', () => {
  it('--help exits 0 with the probes it runs, the default destination and the options', async () => {
    const { code, direct: help } = await hoptrace('doctor', '--help');
    expect(code).toBe(0);
    expect(help).toBe(
      [
        'Usage: hoptrace doctor [options] <container> [destination]',
        '',
        "why can't my container reach the outside: checks its default route and resolver,",
        'then an ICMP echo, a TCP connect and a DNS query, and names the cause of each',
        'failure',
        '',
        'Arguments:',
        '  container      container name or id',
        '  destination    address to probe (default 1.1.1.1)',
        '',
        'Options:',
        '  --port <port>  TCP port of the connect probe (default: 80)',
        '  --name <name>  name the DNS probe asks the container\'s resolver for (default:',
        '                 "example.com")',
        '  --json         print one JSON document',
        '  -h, --help     display help for command',
        '',
      ].join('\n'),
    );
  });

  it('refuses a port out of range, naming the option, exit 2', async () => {
    expect(await hoptrace('doctor', 'web', '203.0.113.2', '--port', '0')).toMatchObject({ code: 2, stderr: "hoptrace: --port must be a whole number from 1 to 65535, not '0'\n" });
  });
});

describe('the help of every command, exact (what a user reads before running it)', () => {
  it('hoptrace --help: exit 0 and the whole help text', async () => {
    expect(await hoptrace("--help")).toEqual({ code: 0, stdout: '', stderr: '', direct: [
        "Usage: hoptrace [options] [command]",
        "",
        "Trace packets hop by hop through container networks: NAT rewrites, TTL, drops.",
        "",
        "Options:",
        "  -V, --version                               output the version number",
        "  --debug                                     print stack traces of errors, and on a live command when each capture helper started and each hop began capturing",
        "  -h, --help                                  display help for command",
        "",
        "Commands:",
        "  replay [options] <trace...>                 report on recorded captures: a trace directory (path.json + one pcap per hop), several capture files (one hop each), one multi-interface pcapng, or one `tcpdump -i any` (LINUX_SLL2) capture",
        "  ping [options] [container] [destination]    send ICMP echo from inside a container and follow it across every hop",
        "  tcp [options] [container] [host:port]       open a TCP connection from inside a container and follow it across every hop",
        "  udp [options] [container] [host:port]       send one UDP datagram from inside a container and follow it across every hop",
        "  watch [options] [container] [filter]        capture a container's traffic on every hop until Ctrl-C",
        "  path [options] [container] [destination]    print the discovered path (interfaces, addresses, MTU, bridge, route, NAT rules) without capturing",
        "  doctor [options] <container> [destination]  why can't my container reach the outside: checks its default route and resolver, then an ICMP echo, a TCP connect and a DNS query, and names the cause of each failure",
        "  help [command]                              display help for command",
        "",
      ].join('\n') });
  });

  it('hoptrace ping --help: exit 0 and the whole help text', async () => {
    expect(await hoptrace("ping", "--help")).toEqual({ code: 0, stdout: '', stderr: '', direct: [
        "Usage: hoptrace ping [options] [container] [destination]",
        "",
        "send ICMP echo from inside a container and follow it across every hop",
        "",
        "Arguments:",
        "  container                   container name or id (omit with --pid/--netns)",
        "  destination                 address or host name to ping",
        "",
        "Options:",
        "  --pid <pid>                 trace the network namespace of a process instead",
        "                              of a container",
        "  --netns <name|path>         trace a network namespace (ip netns name or path)",
        "                              instead of a container",
        "  --host-netns <name|path>    the namespace holding the veth peers and bridge",
        "                              (default: dockerd's, else ours)",
        "  --docker-timeout <seconds>  how long to wait for Docker to answer (default:",
        "                              10)",
        "  --record <dir>              also write a trace directory (path.json + one pcap",
        "                              per hop) for `hoptrace replay`",
        "  --host <name=endpoint>      a Docker host of a multi-host (overlay) trace, as",
        "                              unix:///path, tcp://host:port or ssh://user@host",
        "                              (DOCKER_HOST when only a name is given); repeat",
        "                              per host",
        "  --pcapng <file>             also write the trace as one pcapng for Wireshark:",
        "                              one interface per hop, each packet commented with",
        "                              its flow, journey and rewrites",
        "  --html <file>               also write the report as one self-contained HTML",
        "                              page with a ladder diagram per flow",
        "  --json                      print one JSON document (see",
        "                              schema/report.schema.json)",
        "  --jsonl                     print JSON Lines: one flow per line, then a",
        "                              summary line (see schema/report-lines.schema.json)",
        "  --text                      print text even on a terminal",
        "  --tui                       show the live terminal UI (the default on a",
        "                              terminal)",
        "  -v, --verbose               say how the path was found and what each hop",
        "                              captures",
        "  --filter <expr>             keep only flows matching a pcap-filter-like",
        "                              expression: host, net, port (src/dst: the",
        "                              initiator's/responder's side), tcp, udp, icmp,",
        "                              icmp6, ip, ip6, and/or/not, parentheses",
        "  --window <ms>               longest a packet may take from one hop to the next",
        "                              (default: 500)",
        "  --ring-packets <n>          packets libpcap's ring holds per hop: a burst",
        "                              larger than the ring is lost, and the kernel",
        "                              counts the loss (default: 32768)",
        "  -c, --count <n>             echo requests to send (default: 3)",
        "  -i, --interval <seconds>    time between echo requests (default: 0.5)",
        "  --trace-rules               trace the flow through the Docker host's firewall",
        "                              with a temporary nftables table (changes the",
        "                              ruleset while the trace runs; removed at the end,",
        "                              on Ctrl-C and SIGTERM)",
        "  -h, --help                  display help for command",
        "",
      ].join('\n') });
  });

  it('hoptrace tcp --help: exit 0 and the whole help text', async () => {
    expect(await hoptrace("tcp", "--help")).toEqual({ code: 0, stdout: '', stderr: '', direct: [
        "Usage: hoptrace tcp [options] [container] [host:port]",
        "",
        "open a TCP connection from inside a container and follow it across every hop",
        "",
        "Arguments:",
        "  container                   container name or id (omit with --pid/--netns)",
        "  host:port                   destination",
        "",
        "Options:",
        "  --pid <pid>                 trace the network namespace of a process instead",
        "                              of a container",
        "  --netns <name|path>         trace a network namespace (ip netns name or path)",
        "                              instead of a container",
        "  --host-netns <name|path>    the namespace holding the veth peers and bridge",
        "                              (default: dockerd's, else ours)",
        "  --docker-timeout <seconds>  how long to wait for Docker to answer (default:",
        "                              10)",
        "  --record <dir>              also write a trace directory (path.json + one pcap",
        "                              per hop) for `hoptrace replay`",
        "  --host <name=endpoint>      a Docker host of a multi-host (overlay) trace, as",
        "                              unix:///path, tcp://host:port or ssh://user@host",
        "                              (DOCKER_HOST when only a name is given); repeat",
        "                              per host",
        "  --pcapng <file>             also write the trace as one pcapng for Wireshark:",
        "                              one interface per hop, each packet commented with",
        "                              its flow, journey and rewrites",
        "  --html <file>               also write the report as one self-contained HTML",
        "                              page with a ladder diagram per flow",
        "  --json                      print one JSON document (see",
        "                              schema/report.schema.json)",
        "  --jsonl                     print JSON Lines: one flow per line, then a",
        "                              summary line (see schema/report-lines.schema.json)",
        "  --text                      print text even on a terminal",
        "  --tui                       show the live terminal UI (the default on a",
        "                              terminal)",
        "  -v, --verbose               say how the path was found and what each hop",
        "                              captures",
        "  --filter <expr>             keep only flows matching a pcap-filter-like",
        "                              expression: host, net, port (src/dst: the",
        "                              initiator's/responder's side), tcp, udp, icmp,",
        "                              icmp6, ip, ip6, and/or/not, parentheses",
        "  --window <ms>               longest a packet may take from one hop to the next",
        "                              (default: 500)",
        "  --ring-packets <n>          packets libpcap's ring holds per hop: a burst",
        "                              larger than the ring is lost, and the kernel",
        "                              counts the loss (default: 32768)",
        "  --timeout <seconds>         how long to wait for an answer (default: 3)",
        "  --trace-rules               trace the flow through the Docker host's firewall",
        "                              with a temporary nftables table (changes the",
        "                              ruleset while the trace runs; removed at the end,",
        "                              on Ctrl-C and SIGTERM)",
        "  -h, --help                  display help for command",
        "",
      ].join('\n') });
  });

  it('hoptrace udp --help: exit 0 and the whole help text', async () => {
    expect(await hoptrace("udp", "--help")).toEqual({ code: 0, stdout: '', stderr: '', direct: [
        "Usage: hoptrace udp [options] [container] [host:port]",
        "",
        "send one UDP datagram from inside a container and follow it across every hop",
        "",
        "Arguments:",
        "  container                   container name or id (omit with --pid/--netns)",
        "  host:port                   destination",
        "",
        "Options:",
        "  --pid <pid>                 trace the network namespace of a process instead",
        "                              of a container",
        "  --netns <name|path>         trace a network namespace (ip netns name or path)",
        "                              instead of a container",
        "  --host-netns <name|path>    the namespace holding the veth peers and bridge",
        "                              (default: dockerd's, else ours)",
        "  --docker-timeout <seconds>  how long to wait for Docker to answer (default:",
        "                              10)",
        "  --record <dir>              also write a trace directory (path.json + one pcap",
        "                              per hop) for `hoptrace replay`",
        "  --host <name=endpoint>      a Docker host of a multi-host (overlay) trace, as",
        "                              unix:///path, tcp://host:port or ssh://user@host",
        "                              (DOCKER_HOST when only a name is given); repeat",
        "                              per host",
        "  --pcapng <file>             also write the trace as one pcapng for Wireshark:",
        "                              one interface per hop, each packet commented with",
        "                              its flow, journey and rewrites",
        "  --html <file>               also write the report as one self-contained HTML",
        "                              page with a ladder diagram per flow",
        "  --json                      print one JSON document (see",
        "                              schema/report.schema.json)",
        "  --jsonl                     print JSON Lines: one flow per line, then a",
        "                              summary line (see schema/report-lines.schema.json)",
        "  --text                      print text even on a terminal",
        "  --tui                       show the live terminal UI (the default on a",
        "                              terminal)",
        "  -v, --verbose               say how the path was found and what each hop",
        "                              captures",
        "  --filter <expr>             keep only flows matching a pcap-filter-like",
        "                              expression: host, net, port (src/dst: the",
        "                              initiator's/responder's side), tcp, udp, icmp,",
        "                              icmp6, ip, ip6, and/or/not, parentheses",
        "  --window <ms>               longest a packet may take from one hop to the next",
        "                              (default: 500)",
        "  --ring-packets <n>          packets libpcap's ring holds per hop: a burst",
        "                              larger than the ring is lost, and the kernel",
        "                              counts the loss (default: 32768)",
        "  --timeout <seconds>         how long to wait for an answer (default: 3)",
        "  --trace-rules               trace the flow through the Docker host's firewall",
        "                              with a temporary nftables table (changes the",
        "                              ruleset while the trace runs; removed at the end,",
        "                              on Ctrl-C and SIGTERM)",
        "  -h, --help                  display help for command",
        "",
      ].join('\n') });
  });

  it('hoptrace watch --help: exit 0 and the whole help text', async () => {
    expect(await hoptrace("watch", "--help")).toEqual({ code: 0, stdout: '', stderr: '', direct: [
        "Usage: hoptrace watch [options] [container] [filter]",
        "",
        "capture a container's traffic on every hop until Ctrl-C",
        "",
        "Arguments:",
        "  container                   container name or id (omit with --pid/--netns)",
        "  filter                      pcap filter (compiled by libpcap) to keep only the",
        "                              flow being debugged",
        "",
        "Options:",
        "  --pid <pid>                 trace the network namespace of a process instead",
        "                              of a container",
        "  --netns <name|path>         trace a network namespace (ip netns name or path)",
        "                              instead of a container",
        "  --host-netns <name|path>    the namespace holding the veth peers and bridge",
        "                              (default: dockerd's, else ours)",
        "  --docker-timeout <seconds>  how long to wait for Docker to answer (default:",
        "                              10)",
        "  --record <dir>              also write a trace directory (path.json + one pcap",
        "                              per hop) for `hoptrace replay`",
        "  --host <name=endpoint>      a Docker host of a multi-host (overlay) trace, as",
        "                              unix:///path, tcp://host:port or ssh://user@host",
        "                              (DOCKER_HOST when only a name is given); repeat",
        "                              per host",
        "  --pcapng <file>             also write the trace as one pcapng for Wireshark:",
        "                              one interface per hop, each packet commented with",
        "                              its flow, journey and rewrites",
        "  --html <file>               also write the report as one self-contained HTML",
        "                              page with a ladder diagram per flow",
        "  --json                      print one JSON document (see",
        "                              schema/report.schema.json)",
        "  --jsonl                     print JSON Lines: one flow per line, then a",
        "                              summary line (see schema/report-lines.schema.json)",
        "  --text                      print text even on a terminal",
        "  --tui                       show the live terminal UI (the default on a",
        "                              terminal)",
        "  -v, --verbose               say how the path was found and what each hop",
        "                              captures",
        "  --filter <expr>             keep only flows matching a pcap-filter-like",
        "                              expression: host, net, port (src/dst: the",
        "                              initiator's/responder's side), tcp, udp, icmp,",
        "                              icmp6, ip, ip6, and/or/not, parentheses",
        "  --window <ms>               longest a packet may take from one hop to the next",
        "                              (default: 500)",
        "  --ring-packets <n>          packets libpcap's ring holds per hop: a burst",
        "                              larger than the ring is lost, and the kernel",
        "                              counts the loss (default: 32768)",
        "  -h, --help                  display help for command",
        "",
      ].join('\n') });
  });

  it('hoptrace path --help: exit 0 and the whole help text', async () => {
    expect(await hoptrace("path", "--help")).toEqual({ code: 0, stdout: '', stderr: '', direct: [
        "Usage: hoptrace path [options] [container] [destination]",
        "",
        "print the discovered path (interfaces, addresses, MTU, bridge, route, NAT rules)",
        "without capturing",
        "",
        "Arguments:",
        "  container                   container name or id (omit with --pid/--netns)",
        "  destination                 where the traffic goes (default: the default",
        "                              route)",
        "",
        "Options:",
        "  --pid <pid>                 trace the network namespace of a process instead",
        "                              of a container",
        "  --netns <name|path>         trace a network namespace (ip netns name or path)",
        "                              instead of a container",
        "  --host-netns <name|path>    the namespace holding the veth peers and bridge",
        "                              (default: dockerd's, else ours)",
        "  --docker-timeout <seconds>  how long to wait for Docker to answer (default:",
        "                              10)",
        "  --json                      print one JSON document",
        "  -h, --help                  display help for command",
        "",
      ].join('\n') });
  });
});

describe('the live commands refuse bad usage before anything is captured, exit 2', () => {
  const cases: [string[], string][] = [
    [['ping'], 'missing container (name or id), or --pid/--netns'],
    [['ping', 'web'], 'missing destination'],
    [['ping', 'web', ''], 'missing destination'],
    [['tcp', 'web'], 'missing host:port'],
    [['udp', 'web', '203.0.113.2'], "'203.0.113.2' is not host:port (e.g. 203.0.113.2:80)"],
    [['tcp', 'web', '203.0.113.2:0'], "'203.0.113.2:0' is not host:port (e.g. 203.0.113.2:80)"],
    [['tcp', 'web', '203.0.113.2:65536'], "'203.0.113.2:65536' is not host:port (e.g. 203.0.113.2:80)"],
    [['tcp', 'web', '2001:db8::2:80'], "'2001:db8::2:80' is not host:port (e.g. 203.0.113.2:80)"],
    [['ping', '--pid', '12', '--netns', 'lab', '203.0.113.2'], '--pid and --netns cannot be combined'],
    [['ping', '--pid', '12', 'web', '203.0.113.2'], 'with --pid or --netns, give only the destination, not a container'],
    [['tcp', '--netns', 'lab', 'web', '203.0.113.2:80'], 'with --pid or --netns, give only the host:port, not a container'],
    [['watch', '--netns', 'lab', 'web', 'icmp'], 'with --pid or --netns, give only the filter, not a container'],
    [['ping', '--pid', 'web', '203.0.113.2'], "--pid must be a process id, not 'web'"],
    [['ping', '--pid', '0', '203.0.113.2'], "--pid must be a process id, not '0'"],
    [['ping', '--pid', '1.5', '203.0.113.2'], "--pid must be a process id, not '1.5'"],
    [['watch'], 'missing container (name or id), or --pid/--netns'],
    [['path'], 'missing container (name or id), or --pid/--netns'],
    [['ping', 'web', '203.0.113.2', '--buffer-mib', '4'], "--buffer-mib is no longer taken: libpcap's ring per hop is sized in packets now, --ring-packets <n> (default 32768)"],
    [['ping', 'web', '203.0.113.2', '--ring-packets', '63'], "--ring-packets must be a whole number from 64 to 1048576, not '63'"],
    [['ping', 'web', '203.0.113.2', '--interval', '0.001'], "--interval must be a number from 0.01 to 60, not '0.001'"],
    [['tcp', 'web', '203.0.113.2:80', '--timeout', '0'], "--timeout must be a number from 0.1 to 600, not '0'"],
    [['ping', 'web', '203.0.113.2', '--docker-timeout', '0'], "--docker-timeout must be a number from 0.1 to 600, not '0'"],
    [['ping', 'web', '203.0.113.2', '--count', '0'], "--count must be a whole number from 1 to 100000, not '0'"],
    [['ping', 'web', '203.0.113.2', '--count', '1.5'], "--count must be a whole number from 1 to 100000, not '1.5'"],
    [['ping', 'web', '203.0.113.2', '--count', '100001'], "--count must be a whole number from 1 to 100000, not '100001'"],
    [['ping', 'web', '203.0.113.2', '--interval', '61'], "--interval must be a number from 0.01 to 60, not '61'"],
    [['ping', 'web', '203.0.113.2', '--window', '0'], "--window must be a number more than 0 to 3600000, not '0'"],
    [['tcp', 'web', '203.0.113.2:80', '--timeout', '601'], "--timeout must be a number from 0.1 to 600, not '601'"],
    [['watch', 'web', '--pcapng', '/nonexistent-dir/x.pcapng'], '--pcapng: cannot write /nonexistent-dir/x.pcapng: no directory /nonexistent-dir'],
    [['udp', 'web', '203.0.113.2:53', '--html', '/nonexistent-dir/x.html'], '--html: cannot write /nonexistent-dir/x.html: no directory /nonexistent-dir'],
    [['path', 'web', '--docker-timeout', '601'], "--docker-timeout must be a number from 0.1 to 600, not '601'"],
  ];
  for (const [args, message] of cases) {
    it(`hoptrace ${args.join(' ')}: ${message}`, async () => {
      expect(await hoptrace(...args)).toEqual({ code: 2, stdout: '', direct: '', stderr: `hoptrace: ${message}\n` });
    });
  }
});

// These get as far as finding the traced namespace, then stop with the environment's error
// (exit 4): the argument handling before it (targets, host:port, the output set-up) ran.
// The capture-rights check comes first, so they need root (as CI has).
describe.skipIf(process.getuid?.() !== 0)('the live commands, up to finding what to trace (root)', () => {
  const NO_NETNS = 'hoptrace-test-absent-netns';
  const noNetns = `no such network namespace: ${NO_NETNS} (looked for /var/run/netns/${NO_NETNS})`;
  const cases: [string[], string][] = [
    [['ping', '--netns', NO_NETNS, '203.0.113.2'], noNetns],
    [['ping', '--netns', NO_NETNS, '203.0.113.2', '--json'], noNetns],
    [['tcp', '--netns', NO_NETNS, '[2001:db8::2]:80'], noNetns],
    [['udp', '--netns', NO_NETNS, '203.0.113.2:53', '--jsonl'], noNetns],
    [['watch', '--netns', NO_NETNS, 'icmp'], noNetns],
    [['path', '--netns', NO_NETNS, '203.0.113.2'], noNetns],
    [['ping', '--pid', '2147483647', '203.0.113.2'], 'no process 2147483647: /proc/2147483647/ns/net does not exist'],
    [['path', '--pid', '2147483647'], 'no process 2147483647: /proc/2147483647/ns/net does not exist'],
  ];
  for (const [args, message] of cases) {
    it(`hoptrace ${args.join(' ')}: ${message}, exit 4`, async () => {
      expect(await hoptrace(...args)).toEqual({ code: 4, stdout: '', direct: '', stderr: `hoptrace: ${message}\n` });
    });
  }

  it('a container when Docker cannot be reached: exit 4, naming the socket', async () => {
    vi.stubEnv('DOCKER_HOST', 'unix:///var/run/hoptrace-test-absent.sock');
    expect(await hoptrace('ping', 'web', '203.0.113.2', '--docker-timeout', '1')).toEqual({
      code: 4, stdout: '', direct: '',
      stderr: 'hoptrace: cannot reach Docker at unix:///var/run/hoptrace-test-absent.sock: ENOENT (is dockerd running? set DOCKER_HOST to its socket)\n',
    });
  });

  // A Docker socket that takes the connection and never answers, as a hung dockerd does.
  async function silentSocket<T>(run: (endpoint: string) => Promise<T>): Promise<T> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-silent-'));
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => void sockets.push(s));
    await new Promise<void>((resolve) => server.listen(path.join(dir, 'docker.sock'), resolve));
    try {
      return await run(`unix://${path.join(dir, 'docker.sock')}`);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it('a Docker that never answers: "connecting to Docker" after a second, then one error at --docker-timeout, exit 4', async () => {
    await silentSocket(async (endpoint) => {
      vi.stubEnv('DOCKER_HOST', endpoint);
      expect(await hoptrace('ping', 'web', '203.0.113.2', '--docker-timeout', '1.2')).toEqual({
        code: 4, stdout: '', direct: '',
        stderr: `hoptrace: connecting to Docker at ${endpoint} ...\nhoptrace: Docker at ${endpoint} did not answer within 1.2 s (is dockerd listening there? --docker-timeout <seconds> waits longer)\n`,
      });
      expect(await hoptrace('path', 'web', '--docker-timeout', '0.3')).toEqual({
        code: 4, stdout: '', direct: '',
        stderr: `hoptrace: Docker at ${endpoint} did not answer within 0.3 s (is dockerd listening there? --docker-timeout <seconds> waits longer)\n`,
      });
    });
  });

  it('path with --netns and a container: exit 2, naming the destination it takes instead', async () => {
    expect(await hoptrace('path', '--netns', NO_NETNS, 'web', '203.0.113.2')).toEqual({
      code: 2, stdout: '', direct: '', stderr: 'hoptrace: with --pid or --netns, give only the destination, not a container\n',
    });
  });

  it('--debug: when each step of the start ended, then the error with its stack', async () => {
    const { code, stderr: err } = await hoptrace('ping', '--netns', NO_NETNS, '203.0.113.2', '--debug');
    const lines = err.split('\n');
    expect(code).toBe(4);
    expect(lines[0]).toMatch(/^hoptrace: debug: \d+\.\d{3} s: capture helper started in netns host$/);
    expect(lines.slice(1, 3)).toEqual([`hoptrace: ${noNetns}`, `FatalError: ${noNetns}`]);
    expect(lines[3]).toMatch(/^ +at /);
  });

  it('doctor when Docker cannot be reached: exit 4, naming the socket', async () => {
    vi.stubEnv('DOCKER_HOST', 'unix:///var/run/hoptrace-test-absent.sock');
    expect(await hoptrace('doctor', 'web', '203.0.113.2')).toEqual({
      code: 4, stdout: '', direct: '',
      stderr: 'hoptrace: cannot reach Docker at unix:///var/run/hoptrace-test-absent.sock: ENOENT (is dockerd running? set DOCKER_HOST to its socket)\n',
    });
  });
});

// A trace across hosts (--host) checks every host before anything else: no root needed, and no
// Docker either to see how an unusable host is refused (src/commands/multi-host-trace.ts).
describe('the live commands across hosts (--host), up to preparing the hosts', () => {
  const ABSENT = 'unix:///var/run/hoptrace-test-absent';

  it('every host whose engine cannot be reached is named in one line, exit 4', async () => {
    expect(await hoptrace('ping', 'c1', '198.18.100.4', '--host', `h1=${ABSENT}-1.sock`, '--host', `h2=${ABSENT}-2.sock`)).toEqual({
      code: 4, stdout: '', direct: '',
      stderr: `hoptrace: host h1 (${ABSENT}-1.sock): Docker engine unreachable: ENOENT; host h2 (${ABSENT}-2.sock): Docker engine unreachable: ENOENT\n`,
    });
  });

  it('an endpoint Docker cannot use is bad input naming the host, exit 2', async () => {
    expect(await hoptrace('watch', 'c1', '--host', 'h1=unix://run/docker.sock')).toEqual({
      code: 2, stdout: '', direct: '', stderr: 'hoptrace: --host h1: unix://run/docker.sock: a unix endpoint needs an absolute socket path\n',
    });
    expect(await hoptrace('tcp', 'c1', '198.18.100.4:80', '--host', 'h1=tcp://:2375')).toEqual({
      code: 2, stdout: '', direct: '', stderr: 'hoptrace: --host h1: tcp://:2375: not a Docker endpoint (unix:///path, tcp://host:port or ssh://user@host)\n',
    });
  });

  it('a host named twice or badly: exit 2 before any host is asked', async () => {
    expect(await hoptrace('ping', 'c1', '198.18.100.4', '--host', `h1=${ABSENT}-1.sock`, '--host', `h1=${ABSENT}-2.sock`)).toEqual({
      code: 2, stdout: '', direct: '', stderr: 'hoptrace: --host h1 is given twice\n',
    });
    expect(await hoptrace('ping', 'c1', '198.18.100.4', '--host', `-h1=${ABSENT}-1.sock`)).toEqual({
      code: 2, stdout: '', direct: '', stderr: `hoptrace: --host -h1=${ABSENT}-1.sock: the name must be letters, digits, '.', '_' or '-' (e.g. --host h2=tcp://203.0.113.3:2375)\n`,
    });
  });
});

