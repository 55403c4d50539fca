// A big replay runs in a worker thread with a larger young generation (src/pipeline/replay-worker.ts),
// the hop files read for it on the main thread (capture/files/frame-pipe.ts) where there are two
// cores. HOPTRACE_REPLAY_WORKER=1 forces the worker on a small input and =0 keeps the replay on
// the main thread; HOPTRACE_REPLAY_PIPE=1 has the main thread read for the worker whatever the
// cores. Both paths are run here on the same inputs: the same stdout, stderr and exit code, byte
// for byte, and an error inside the worker is the same one line as on the main thread.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inputBytes, REPLAY_WORKER, wantsReadPipe, wantsReplayWorker } from '../../src/pipeline/replay-worker.js';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'fixtures');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-worker-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

/** Run without blocking vitest's own worker (a long spawnSync times out its RPC on a loaded machine). */
function hoptrace(args: string[], worker: '0' | '1', pipe: '0' | '1' = '1'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [path.join(ROOT, 'bin', 'hoptrace.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '', HOPTRACE_REPLAY_WORKER: worker, HOPTRACE_REPLAY_PIPE: pipe },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Both paths on the same arguments; the worker's run must equal the main thread's. */
async function bothPaths(args: string[]) {
  const here = await hoptrace(args, '0');
  const worker = await hoptrace(args, '1');
  expect(worker).toEqual(here);
  return here;
}

const traceDirs = fs
  .readdirSync(FIXTURES)
  .filter((name) => fs.existsSync(path.join(FIXTURES, name, 'path.json')))
  .map((name) => path.join('fixtures', name));

describe('replay in the worker thread gives the main thread\'s report', () => {
  it('finds the fixture trace directories', async () => {
    expect(traceDirs.length).toBeGreaterThan(10);
  });

  it.each(traceDirs)('%s: text', async (dir) => {
    const { code, stdout } = await bothPaths(['replay', dir, '--text']);
    expect([0, 1]).toContain(code);
    expect(stdout).toContain('packets per hop:');
  });

  it.each(['fixtures/ping-out', 'fixtures/ip-forward-off', 'fixtures/published-port'])('%s: --json and --jsonl', async (dir) => {
    expect(JSON.parse((await bothPaths(['replay', dir, '--json'])).stdout).flows.length).toBeGreaterThan(0);
    expect((await bothPaths(['replay', dir, '--jsonl'])).stdout.trim().split('\n').length).toBeGreaterThan(1);
  });

  it('with --filter, --window and the pcap-parser reader', async () => {
    await bothPaths(['replay', 'fixtures/ping-out', '--json', '--filter', 'icmp', '--window', '50', '--pcap-reader', 'pcap-parser']);
  });

  it('with the worker reading the files itself (HOPTRACE_REPLAY_PIPE=0)', async () => {
    for (const dir of ['fixtures/ping-out', 'fixtures/published-port']) {
      const here = await hoptrace(['replay', dir, '--json'], '0');
      expect(await hoptrace(['replay', dir, '--json'], '1', '0')).toEqual(here);
    }
  });

  it('a file cut short: the same warning line on stderr, the same report', async () => {
    const whole = fs.readFileSync(path.join(FIXTURES, 'ping-out', '01-c1-eth0.pcap'));
    const cut = path.join(TMP, 'cut.pcap');
    fs.writeFileSync(cut, whole.subarray(0, whole.length - 10));
    const { stderr, stdout } = await bothPaths(['replay', cut]);
    expect(stderr).toMatch(/^hoptrace: warning: .*cut\.pcap: offset \d+: [^\n]*\n$/);
    expect(stdout).toContain('packets per hop: cut 5');
  });
});

describe('an error inside the worker', () => {
  it('a missing file: one line, exit 2', async () => {
    const { code, stdout, stderr } = await bothPaths(['replay', path.join(TMP, 'nonexistent')]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`hoptrace: ${path.join(TMP, 'nonexistent')}: offset 0: cannot open: no such file\n`);
  });

  it('a capture file with a record claiming 4 GB: the same one line naming file and offset, exit 2', async () => {
    const whole = fs.readFileSync(path.join(FIXTURES, 'ping-out', '01-c1-eth0.pcap'));
    const bad = Buffer.from(whole);
    bad.writeUInt32LE(0xffffffff, 24 + 8); // the first record's captured length
    const file = path.join(TMP, 'huge-record.pcap');
    fs.writeFileSync(file, bad);
    const { code, stderr } = await bothPaths(['replay', file]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^hoptrace: .*huge-record\.pcap: offset 24: [^\n]+\n$/);
  });

  it('a bad path.json: one line, exit 2', async () => {
    const dir = path.join(TMP, 'bad-path');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'path.json'), '{"hops": 3');
    const { code, stderr } = await bothPaths(['replay', dir]);
    expect(code).toBe(2);
    expect(stderr.split('\n')).toHaveLength(2);
    expect(stderr).toMatch(/^hoptrace: .*path\.json/);
  });

  it('with --debug the stack shows the error came from the worker (and not without it)', async () => {
    const missing = path.join(TMP, 'nonexistent');
    const worker = await hoptrace(['replay', missing, '--debug'], '1');
    const here = await hoptrace(['replay', missing, '--debug'], '0');
    expect(worker.stderr.split('\n')[0]).toBe(here.stderr.split('\n')[0]);
    expect(worker.code).toBe(2);
    expect(worker.stderr).toContain('replay-thread.js');
    expect(here.stderr).not.toContain('replay-thread.js');
  });
});

describe('when the worker is used', () => {
  it('sums a trace directory\'s files without opening any (a FIFO in it does not block)', () => {
    const dir = path.join(TMP, 'sized');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'a.pcap'), Buffer.alloc(1000));
    fs.writeFileSync(path.join(dir, 'b.pcap'), Buffer.alloc(234));
    spawnSync('mkfifo', [path.join(dir, 'fifo.pcap')]);
    fs.symlinkSync(path.join(dir, 'gone'), path.join(dir, 'dangling.pcap'));
    expect(inputBytes([dir])).toBe(1234);
    expect(inputBytes([path.join(dir, 'a.pcap'), path.join(dir, 'fifo.pcap'), path.join(TMP, 'nonexistent')])).toBe(1000);
  });

  it('from REPLAY_WORKER.minBytes of input on, unless the environment says otherwise', async () => {
    const big = path.join(TMP, 'big.pcap');
    fs.writeFileSync(big, Buffer.alloc(0));
    fs.truncateSync(big, REPLAY_WORKER.minBytes);
    expect(wantsReplayWorker([big], {})).toBe(true);
    fs.truncateSync(big, REPLAY_WORKER.minBytes - 1);
    expect(wantsReplayWorker([big], {})).toBe(false);
    expect(wantsReplayWorker([big], { HOPTRACE_REPLAY_WORKER: '1' })).toBe(true);
    expect(wantsReplayWorker([path.join(FIXTURES, 'ping-out')], {})).toBe(false);
    fs.truncateSync(big, REPLAY_WORKER.minBytes);
    expect(wantsReplayWorker([big], { HOPTRACE_REPLAY_WORKER: '0' })).toBe(false);
  });
});

describe('when the main thread reads for the worker', () => {
  it('where there are two cores or more, unless the environment says otherwise', () => {
    expect(wantsReadPipe({}, 1)).toBe(false);
    expect(wantsReadPipe({}, 2)).toBe(true);
    expect(wantsReadPipe({}, 8)).toBe(true);
    expect(wantsReadPipe({ HOPTRACE_REPLAY_PIPE: '1' }, 1)).toBe(true);
    expect(wantsReadPipe({ HOPTRACE_REPLAY_PIPE: '0' }, 2)).toBe(false);
  });
});

describe('what the worker loads', () => {
  it("starts from the bundle's replay-thread entry, not from tsc's modules in dist/", () => {
    fs.writeFileSync(path.join(TMP, 'hooks.mjs'), "export async function load(url, context, next) { process.stderr.write(`loaded ${url}\\n`); return next(url, context); }\n");
    fs.writeFileSync(path.join(TMP, 'register.mjs'), "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n");
    const run = (worker: '0' | '1') => {
      const r = spawnSync('node', ['--import', path.join(TMP, 'register.mjs'), path.join(ROOT, 'bin', 'hoptrace.js'), 'replay', 'fixtures/ping-out', '--json'], {
        cwd: ROOT, encoding: 'utf8', env: { ...process.env, HOPTRACE_REPLAY_WORKER: worker },
      });
      expect(r.status).toBe(0);
      return r.stderr.split('\n').flatMap((line) => /^loaded file:\/\/.*\/dist\/(.*)$/.exec(line)?.[1] ?? []).filter((f) => !f.startsWith('bundle/chunk-'));
    };
    expect(run('1')).toEqual(['bundle/cli.js', 'bundle/replay-thread.js']);
    expect(run('0')).toEqual(['bundle/cli.js']);
  });
});
