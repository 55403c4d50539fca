// The live commands' decisions (src/commands/live.ts) that need no capture: the traffic each
// command asks for, the request every trace starts from, how the output is chosen, where lines
// for the user go, the exit code, and the presenter that shows a running session — driven by
// lab recordings played as a live source plays (frames arriving after the view subscribed).
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  commandLineOf, debugLine, exitCodeOf, resolveAddress, liveOutput, pingInContainer, presenter, probeInContainer, probeSpec, sayLines, traceRequest,
} from '../../src/commands/live.js';
import { openTrace } from '../../src/capture/trace.js';
import { InputError } from '../../src/errors.js';
import { replaySource } from '../../src/capture/replay-session.js';
import { runTrace } from '../../src/pipeline/run-trace.js';

const FIXTURES = path.join(import.meta.dirname, '..', '..', 'fixtures');

/** A recording played as a live capture plays: the frames come after the view has subscribed. */
async function liveLike(name: string) {
  const trace = openTrace([path.join(FIXTURES, name)], { classicReader: 'native', allowOutside: false, readThreads: 0 });
  return runTrace(replaySource(trace, { speed: 0, interactive: true }), { windowMs: 500 });
}

let stderr: string[];
beforeEach(() => {
  stderr = [];
  vi.stubEnv('NO_COLOR', '1');
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (stderr.push(String(chunk)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe("the traffic in the container of a trace across hosts, and the probe's spec", () => {
  it('ping: count, interval and destination as given', () => {
    expect(pingInContainer('198.18.100.4', 3, 0.3)).toEqual(['ping', '-c', '3', '-i', '0.3', '198.18.100.4']);
  });

  it('nc: -u for UDP only, the timeout rounded up to whole seconds', () => {
    expect(probeInContainer('tcp', '198.18.100.4', 8080, 2)).toEqual(['nc', '-w', '2', '198.18.100.4', '8080']);
    expect(probeInContainer('udp', '198.18.100.4', 53, 2.1)).toEqual(['nc', '-u', '-w', '3', '198.18.100.4', '53']);
    expect(probeInContainer('tcp', '203.0.113.2', 80, 0.1)).toEqual(['nc', '-w', '1', '203.0.113.2', '80']);
  });

  it('the probe from the traced namespace: its timeout in milliseconds', () => {
    expect(probeSpec('tcp', '203.0.113.2', 80, 2.5)).toEqual({ mode: 'tcp', host: '203.0.113.2', port: 80, timeoutMs: 2500 });
    expect(probeSpec('udp', '203.0.113.2', 53, 3)).toEqual({ mode: 'udp', host: '203.0.113.2', port: 53, timeoutMs: 3000 });
  });
});

describe('the destination given', () => {
  it('an address is taken as it is; a host name is looked up (localhost from /etc/hosts)', async () => {
    expect(await resolveAddress('203.0.113.2')).toBe('203.0.113.2');
    expect(await resolveAddress('2001:db8::2')).toBe('2001:db8::2');
    expect(await resolveAddress('localhost')).toBe('127.0.0.1');
  });

  it('a name that cannot be looked up is bad input naming it (an empty label: refused without asking a server)', async () => {
    await expect(resolveAddress('web..test')).rejects.toThrow(new InputError('cannot resolve web..test'));
    await expect(resolveAddress('web..test')).rejects.toBeInstanceOf(InputError);
  });
});

describe('the request every live trace starts from', () => {
  const target = { kind: 'docker' as const, ref: 'c1', dockerTimeoutMs: 10_000 };

  it('lingers one matching window after the traffic; the window and filter go to the pipeline; rules not traced unless asked', () => {
    const request = traceRequest('hoptrace ping c1 203.0.113.2 --window 200', target, '203.0.113.2', { proto: 'icmp', destination: '203.0.113.2' }, { window: 200, ringPackets: 32768, filter: 'icmp' });
    const { say, ...rest } = request;
    expect(rest).toEqual({
      target, destination: '203.0.113.2', selector: { proto: 'icmp', destination: '203.0.113.2' }, lingerMs: 200, recordDir: undefined, traceRules: false,
      ringPackets: 32768, trace: { windowMs: 200, filter: 'icmp' }, commandLine: 'hoptrace ping c1 203.0.113.2 --window 200',
    });
    expect(say('anything')).toBeUndefined();
  });

  it('--record and --trace-rules are passed on', () => {
    const request = traceRequest('hoptrace watch c1', target, undefined, { proto: 'any' }, { window: 500, ringPackets: 64, record: '/tmp/rec', traceRules: true });
    expect([request.recordDir, request.traceRules, request.ringPackets, request.destination, request.trace]).toEqual(['/tmp/rec', true, 64, undefined, { windowMs: 500, filter: undefined }]);
  });

  it('the command line as typed; a bare program name is still named', () => {
    expect(commandLineOf(['node', '/usr/bin/hoptrace', 'ping', 'c1', '203.0.113.2'], 'ping')).toBe('hoptrace ping c1 203.0.113.2');
    expect(commandLineOf(['node', '/usr/bin/hoptrace'], 'watch')).toBe('hoptrace');
    // An empty last argument leaves no blank at the end.
    expect(commandLineOf(['node', '/usr/bin/hoptrace', 'watch', 'c1', ''], 'watch')).toBe('hoptrace watch c1');
  });

  it('--debug lines: seconds since the start, to the millisecond', () => {
    expect(debugLine('capture helper started in netns host', 138.4)).toBe('debug: 0.138 s: capture helper started in netns host');
    expect(debugLine('path found', 2045.6)).toBe('debug: 2.046 s: path found');
  });
});

describe('how a live trace is shown', () => {
  it('the UI on a terminal by default; text otherwise; --text and --json win on a terminal', () => {
    expect(liveOutput({}, true)).toEqual({ mode: 'tui', format: 'text', streamRetired: false });
    expect(liveOutput({}, false)).toEqual({ mode: 'text', format: 'text', streamRetired: true });
    expect(liveOutput({ tui: true }, false)).toEqual({ mode: 'text', format: 'text', streamRetired: true });
    expect(liveOutput({ text: true }, true)).toEqual({ mode: 'text', format: 'text', streamRetired: true });
    expect(liveOutput({ json: true }, true)).toEqual({ mode: 'json', format: 'json', streamRetired: true });
  });

  it('--jsonl is JSON Lines (JSON mode); an export (--html, --pcapng) keeps every flow to the end', () => {
    expect(liveOutput({ jsonl: true }, true)).toEqual({ mode: 'json', format: 'jsonl', streamRetired: true });
    expect(liveOutput({ html: '/tmp/r.html' }, false)).toEqual({ mode: 'text', format: 'text', streamRetired: false });
    expect(liveOutput({ pcapng: '/tmp/r.pcapng', json: true }, false)).toEqual({ mode: 'json', format: 'json', streamRetired: false });
  });

  it('lines for the user go to stderr at once, or wait while the UI runs', () => {
    const later: string[] = [];
    const written: string[] = [];
    sayLines('text', later, (t) => void written.push(t))('note: lo is watched for relays');
    sayLines('json', later, (t) => void written.push(t))('warning: eth0: gone');
    sayLines('tui', later, (t) => void written.push(t))('warning: docker0: gone');
    expect(written).toEqual(['hoptrace: note: lo is watched for relays\n', 'hoptrace: warning: eth0: gone\n']);
    expect(later).toEqual(['warning: docker0: gone']);
    sayLines('text', [])('to stderr');
    expect(stderr).toEqual(['hoptrace: to stderr\n']);
  });

  it('exit 0 only with flows and none of them not ok', () => {
    expect([exitCodeOf({ flows: 1, notOk: 0 }), exitCodeOf({ flows: 0, notOk: 0 }), exitCodeOf({ flows: 2, notOk: 1 })]).toEqual([0, 1, 1]);
  });
});

describe('the presenter of a running session (lab recordings played live)', () => {
  it('text: the hops being captured, each flow once its verdict settles, then the report (no notes unless --verbose)', async () => {
    const session = await liveLike('ping-out');
    const report = await presenter('text', false, false, 500)(session);
    expect(stderr).toEqual([
      'hoptrace: capturing on c1 eth0, vetha119e59, docker0, eth0 (Ctrl-C to stop)\n',
      'flow 1: icmp 198.18.0.2 -> 203.0.113.2: ok (3 requests, 3 replies)\n',
    ]);
    expect(report).toBe(await session.report);
    expect(report.flows.map((f) => f.verdict)).toEqual(['ok']);
  });

  it('text --verbose: the notes after the hops; a dropped ping streamed as dropped', async () => {
    const session = await liveLike('record-forward-off-fast');
    await presenter('text', false, true, 500)(session);
    expect(stderr).toEqual([
      'hoptrace: capturing on c1 eth0, vetha799693, docker0, eth0 (Ctrl-C to stop)\n',
      "hoptrace: note: replay of hoptrace ping c1 203.0.113.2 --count 3 --interval 0.2 --text --record record-forward-off-fast: container c1 (72dab6d20d76) to 203.0.113.2, recorded live (kernel timestamps of each hop's capture)\n",
      'flow 1: icmp 198.18.0.2 -> 203.0.113.2: dropped (3 requests, 0 replies)\n',
    ]);
  });

  it('json: nothing on stderr while it runs, the report at the end', async () => {
    const session = await liveLike('record-c2c-with-uplink');
    const report = await presenter('json', false, true, 500)(session);
    expect(stderr).toEqual([]);
    expect(report.flows.map((f) => [f.verdict, f.packets])).toEqual([['ok', { request: 3, reply: 3 }]]);
  });
});
