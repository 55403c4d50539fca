// The real command as a user runs it (node bin/hoptrace.js, built by `npm test`'s pretest):
// exit codes, the exact error lines, JSON valid against the published schema, filters.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'fixtures');

function hoptrace(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync('node', [path.join(ROOT, 'bin', 'hoptrace.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '', ...env },
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('hoptrace replay, run as a command', () => {
  it('prints the ping-out report as the numbered hop list and exits 0 when every flow is ok', () => {
    const { code, stdout, stderr } = hoptrace(['replay', 'fixtures/ping-out']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
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
        // A fixture without host.json: the causes of the rewrites cannot be known, said once.
        "why: not known: these captures come without the host's state (firewall rules and their counters, conntrack, settings), which `hoptrace --record` writes to host.json beside the pcaps",
        '',
        '1 flow, 0 not ok',
        '',
      ].join('\n'),
    );
  });

  it('marks where requests vanished and exits 1 when a flow is not ok', () => {
    const { code, stdout } = hoptrace(['replay', 'fixtures/ip-forward-off']);
    expect(code).toBe(1);
    expect(stdout).toContain('   3. docker0\n       x requests vanished between docker0 and eth0\n   4. eth0\n');
    expect(stdout).toContain('  verdict: dropped: requests vanished between docker0 and eth0 (last seen at docker0).\n');
  });

  it('writes JSON that the shipped schema accepts, for every fixture', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'report.schema.json'), 'utf8'));
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
    for (const name of fs.readdirSync(FIXTURES).filter((n) => fs.existsSync(path.join(FIXTURES, n, 'path.json')))) {
      const { stdout } = hoptrace(['replay', path.join('fixtures', name), '--json']);
      const ok = validate(JSON.parse(stdout));
      expect({ name, errors: validate.errors ?? null }).toEqual({ name, errors: null });
      expect(ok).toBe(true);
    }
  }, 60_000);

  it('colours the verdict on request and never with NO_COLOR', () => {
    expect(hoptrace(['replay', 'fixtures/ping-out'], { FORCE_COLOR: '1' }).stdout).toContain('\u001b[32mok\u001b[0m');
    expect(hoptrace(['replay', 'fixtures/ping-out'], { FORCE_COLOR: '1', NO_COLOR: '1' }).stdout).not.toContain('\u001b[');
  });

  it('keeps only the flows a --filter names, matching NAT-rewritten addresses too', () => {
    const json = (filter: string) => JSON.parse(hoptrace(['replay', 'fixtures/ping-out', '--json', '--filter', filter]).stdout).flows.length;
    expect(json('host 203.0.113.1')).toBe(1); // the SNAT address, seen only at the uplink
    expect(json('icmp and src host 198.18.0.2')).toBe(1);
    expect(json('tcp or port 53')).toBe(0);
    expect(json('not host 203.0.113.2')).toBe(0);
  });

  it('refuses bad input with one line naming what and where, exit 2', () => {
    const missing = hoptrace(['replay', 'fixtures/no-such-trace']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^hoptrace: fixtures\/no-such-trace: /);
    const filter = hoptrace(['replay', 'fixtures/ping-out', '--filter', 'host']);
    expect(filter).toMatchObject({ code: 2, stderr: "hoptrace: bad --filter 'host': it ends too early: an address after 'host' expected\n" });
    const usage = hoptrace(['replay']);
    expect(usage).toMatchObject({ code: 2, stderr: "hoptrace: missing required argument 'trace' (hoptrace --help for usage)\n" });
  });

  it("says a usage error in one line, exit 2, as every other error", () => {
    expect(hoptrace(['--bogus'])).toMatchObject({ code: 2, stdout: '', stderr: "hoptrace: unknown option '--bogus' (hoptrace --help for usage)\n" });
    expect(hoptrace(['replay', 'fixtures/ping-out', '--bogus']).stderr.split('\n')).toHaveLength(2);
  });

  it('loads neither Docker (dockerode, ssh2) nor the UI (ink, react) for a replay', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-loads-'));
    fs.writeFileSync(path.join(dir, 'hooks.mjs'), "export async function load(url, context, next) { process.stderr.write(`loaded ${url}\\n`); return next(url, context); }\n");
    fs.writeFileSync(path.join(dir, 'register.mjs'), "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n");
    // A file of dist/bundle/ holds the packages scripts/bundle.mjs lists for it; node_modules' are named by their path.
    const bundled = fs.existsSync(path.join(ROOT, 'dist', 'bundle', 'packages.json')) ? JSON.parse(fs.readFileSync(path.join(ROOT, 'dist', 'bundle', 'packages.json'), 'utf8')) : {};
    const packages = (stderr: string) =>
      stderr.split('\n').flatMap((line) => {
        const url = /^loaded (.*)$/.exec(line)?.[1] ?? '';
        const inBundle = /\/dist\/bundle\/([^/]+)$/.exec(url)?.[1];
        return inBundle ? (bundled[inBundle] ?? []) : [/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? []].flat();
      });
    const run = (args: string[]) => spawnSync('node', ['--import', path.join(dir, 'register.mjs'), path.join(ROOT, 'bin', 'hoptrace.js'), ...args], { cwd: ROOT, encoding: 'utf8' });
    const replay = run(['replay', 'fixtures/ping-out', '--json']);
    expect(replay.status).toBe(0);
    expect(packages(replay.stderr).filter((p) => /^(dockerode|docker-modem|ssh2|ink|react)$/.test(p))).toEqual([]);
    // The hook does see them where they are used: the live commands' path loads dockerode.
    expect(packages(run(['path', 'web']).stderr)).toContain('dockerode');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('prints the package version for --version', () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(hoptrace(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('refuses option values that make no sense, naming the option, exit 2', () => {
    expect(hoptrace(['replay', 'fixtures/ping-out', '--window', '0'])).toMatchObject({ code: 2, stdout: '', stderr: "hoptrace: --window must be a number more than 0 to 3600000, not '0'\n" });
    expect(hoptrace(['replay', 'fixtures/ping-out', '--window', ''])).toMatchObject({ code: 2, stderr: "hoptrace: --window must be a number, not ''\n" });
    expect(hoptrace(['replay', 'fixtures/ping-out', '--speed', '-1'])).toMatchObject({ code: 2, stderr: "hoptrace: --speed must be a number from 0 to 1000000, not '-1'\n" });
    expect(hoptrace(['ping', 'web', '203.0.113.2', '--count', '1.5'])).toMatchObject({ code: 2, stderr: "hoptrace: --count must be a whole number from 1 to 100000, not '1.5'\n" });
  });

  it('the live commands take --window and --filter, checked as replay checks them, before anything is captured', () => {
    expect(hoptrace(['ping', 'web', '203.0.113.2', '--window', '0'])).toMatchObject({ code: 2, stderr: "hoptrace: --window must be a number more than 0 to 3600000, not '0'\n" });
    expect(hoptrace(['watch', 'web', '--filter', 'host 999.1.1.1'])).toMatchObject({ code: 2, stderr: "hoptrace: bad --filter 'host 999.1.1.1': '999.1.1.1' is not an IPv4 or IPv6 address\n" });
    expect(hoptrace(['tcp', '--help']).stdout).toMatch(/--filter <expr>[\s\S]*--window <ms>\s+longest a packet may take from one hop to the next\s+\(default: 500\)/);
  });

  it('ends quietly with the report\'s exit code when the reader of stdout goes away (| head -1)', () => {
    for (const [fixture, code] of [['ping-out', 0], ['syn-unanswered', 1]] as const) {
      const cli = path.join(ROOT, 'bin', 'hoptrace.js');
      const result = spawnSync('bash', ['-c', `node ${cli} replay fixtures/${fixture} --json | head -1; exit \${PIPESTATUS[0]}`], { cwd: ROOT, encoding: 'utf8' });
      expect(result).toMatchObject({ status: code, stdout: '{\n', stderr: '' });
    }
  });

  it('says in one line that stdout could not be written (a full disk), exit 2', () => {
    const cli = path.join(ROOT, 'bin', 'hoptrace.js');
    const result = spawnSync('bash', ['-c', `node ${cli} replay fixtures/ping-out --json > /dev/full`], { cwd: ROOT, encoding: 'utf8' });
    expect(result).toMatchObject({ status: 2, stderr: 'hoptrace: cannot write to stdout: ENOSPC\n' });
  });

  it('reads a file cut short up to the cut, with a warning naming the offset', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-cut-'));
    const whole = fs.readFileSync(path.join(FIXTURES, 'ping-out', '01-c1-eth0.pcap'));
    fs.writeFileSync(path.join(dir, 'cut.pcap'), whole.subarray(0, whole.length - 10));
    const { code, stdout, stderr } = hoptrace(['replay', path.join(dir, 'cut.pcap')]);
    fs.rmSync(dir, { recursive: true });
    expect(stderr).toMatch(/^hoptrace: warning: .*cut\.pcap: offset \d+: /);
    expect(stdout).toContain('packets per hop: cut 5');
    expect(code).toBe(0);
  });
});
