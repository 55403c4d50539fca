// The README's checkable claims, checked against the program: each example command's output,
// each documented exit code, each documented filter form accepted and each malformed one
// refused, each finding only where fixtures/README.md says it applies, the options it names.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const cli = path.join(root, 'bin', 'hoptrace.js');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const fixturesReadme = fs.readFileSync(path.join(root, 'fixtures', 'README.md'), 'utf8');

function hoptrace(args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Every "$ node bin/hoptrace.js ..." in a fenced block, with the lines printed after it. */
function examples(): Array<{ args: string[]; output: string }> {
  const found: Array<{ args: string[]; output: string }> = [];
  const lines = readme.split('\n');
  lines.forEach((line, i) => {
    if (!line.startsWith('$ node bin/hoptrace.js ')) return;
    const end = lines.indexOf('```', i);
    found.push({ args: line.slice('$ node bin/hoptrace.js '.length).split(' '), output: lines.slice(i + 1, end).join('\n') + '\n' });
  });
  return found;
}

describe('the README examples', () => {
  const all = examples();
  it('has at least one, the first a replay of a bundled fixture', () => {
    expect(all.length).toBeGreaterThan(0);
    expect(all[0]!.args.slice(0, 2)).toEqual(['replay', 'fixtures/ip-forward-off']);
  });
  for (const example of all) {
    it(`prints what the README shows for: hoptrace ${example.args.join(' ')}`, () => {
      expect(hoptrace([...example.args, '--text']).stdout).toBe(example.output);
    });
  }

  it('starts with the two commands for a fresh machine, neither needing sudo', () => {
    const first = readme.split('```sh\n')[1]!.split('```')[0]!.trim().split('\n');
    expect(first).toHaveLength(2);
    expect(first[0]).toMatch(/^\.\/scripts\/setup\.sh && node bin\/hoptrace\.js replay fixtures\/ping-out /);
    expect(first[1]).toMatch(/^npm test /);
    expect(fs.statSync(path.join(root, 'scripts', 'setup.sh')).mode & 0o111).not.toBe(0);
  });
});

describe('the exit code table', () => {
  const table = readme.split('## Exit codes')[1]!.split('\n## ')[0]!;
  it('documents 0 to 4', () => {
    for (const code of [0, 1, 2, 3, 4]) expect(table).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'));
  });
  it('0: every flow ok', () => expect(hoptrace(['replay', 'fixtures/ping-out', '--text']).status).toBe(0));
  it('1: a flow not ok', () => expect(hoptrace(['replay', 'fixtures/ip-forward-off', '--text']).status).toBe(1));
  it('1: no flow of the traced container seen (a filter that keeps none)', () => {
    const run = hoptrace(['replay', 'fixtures/ping-out', '--text', '--filter', 'tcp']);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("\nno flow of the traced container matches --filter 'tcp'.\n0 flows, 0 not ok\n");
    expect(readme).toContain("`no flow of the traced container matches --filter\n'tcp'.`");
  });
  const usage: Array<[string, string[]]> = [
    ['an unknown option', ['replay', 'fixtures/ping-out', '--bogus']],
    ['an unknown command', ['bogus']],
    ['a missing argument', ['replay']],
    ['a bad option value', ['replay', 'fixtures/ping-out', '--window', '0']],
    ['an unknown filter word', ['replay', 'fixtures/ping-out', '--filter', 'bogus']],
    ['a missing capture', ['replay', 'fixtures/no-such-trace']],
    ['a lone LINUX_SLL capture', ['replay', 'fixtures/corpus/tcpdump/tcp-handshake-nano.pcap']],
  ];
  for (const [what, args] of usage) {
    it(`2: ${what}, as one line "hoptrace: ..."`, () => {
      const run = hoptrace(args);
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(/^hoptrace: [^\n]+\n$/);
    });
  }
  it('3: a live command without the capabilities (as user nobody; needs root to become nobody)', () => {
    if (process.getuid?.() !== 0) return;
    const run = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', process.execPath, cli, 'path', 'web'], { cwd: root, encoding: 'utf8' });
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(/^hoptrace: [^\n]+\n$/);
  });
  it('4: Docker unreachable (as root: a socket that does not exist)', () => {
    if (process.getuid?.() !== 0) return;
    const run = hoptrace(['path', 'web'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(run.status).toBe(4);
    expect(run.stderr).toMatch(/^hoptrace: [^\n]+\n$/);
  });
});

describe('the --filter forms', () => {
  const accepted = ['host 198.18.0.2', 'src host 198.18.0.2', 'dst port 53', 'net 198.18.0.0/24', 'port 53', 'tcp', 'udp', 'icmp', 'icmp6', 'ip', 'ip6', 'not icmp', '(tcp or udp) and host 198.18.0.2'];
  const refused = ['host 300.1.1.1', 'host foo.example', 'net 198.18.0.0/33', 'port 0x10', 'src 198.18.0.2', 'bogus'];
  const section = readme.split('`--filter` keeps the flows')[1]!.split('\n\n')[0]!;
  it('the README names each word and each refused example it is tested with', () => {
    for (const word of ['host', 'net', 'port', 'src', 'dst', 'tcp', 'udp', 'icmp', 'icmp6', 'ip', 'ip6', 'and', 'or', 'not']) expect(section).toContain(`\`${word}`);
    for (const bad of refused.slice(0, 4)) expect(section).toContain(`\`${bad}\``);
  });
  for (const expr of accepted) {
    it(`accepts ${expr}`, () => expect(hoptrace(['replay', 'fixtures/ping-out', '--json', '--filter', expr]).status).toBeLessThan(2));
  }
  for (const expr of refused) {
    it(`refuses ${expr} with one line, exit 2`, () => {
      const run = hoptrace(['replay', 'fixtures/ping-out', '--json', '--filter', expr]);
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(/^hoptrace: bad --filter [^\n]+\n$/);
      expect(run.stdout).toBe('');
    });
  }
  it('host 198.18.0.2 still finds the flow after SNAT changed the address, as said', () => {
    const run = hoptrace(['replay', 'fixtures/ping-out', '--json', '--filter', 'host 198.18.0.2']);
    expect((JSON.parse(run.stdout) as { flows: unknown[] }).flows).toHaveLength(1);
  });
});

describe('each finding only where fixtures/README.md says it applies', () => {
  const rows = [...fixturesReadme.matchAll(/^\| `([a-z0-9-]+)` \|.*\| ([^|]+) \|$/gm)].map((m) => ({ name: m[1]!, expected: m[2]!.trim() }));
  const codes = [...readme.matchAll(/^\| `([a-z-]+)` \| /gm)].map((m) => m[1]!).filter((c) => !['ok', 'partial', 'no-reply', 'dropped', 'rejected', 'reply-dropped'].includes(c));
  it('reads the fixture table and the finding table', () => {
    expect(rows.length).toBeGreaterThanOrEqual(12);
    expect(codes).toEqual(expect.arrayContaining(['no-snat', 'capture-gap', 'hop-not-seeing-flow', 'partial-loss', 'in-flight']));
  });
  for (const { name, expected } of rows) {
    it(`${name}: verdict and findings as the fixture table says (${expected})`, () => {
      const report = JSON.parse(hoptrace(['replay', `fixtures/${name}`, '--json']).stdout) as { flows: Array<{ verdict: string; findings: Array<{ code: string }> }> };
      const flow = report.flows[0]!;
      const verdictWord = /^(ok|partial|no-reply|dropped|rejected|reply-dropped)\b/.exec(expected.replace(/^c1's flow /, ''))![1];
      expect(flow.verdict).toBe(verdictWord);
      for (const code of ['no-snat', 'capture-gap', 'hop-not-seeing-flow', 'partial-loss']) {
        const said = expected.includes(`\`${code}\``);
        expect(flow.findings.some((f) => f.code === code), `${code} in ${name}`).toBe(said);
      }
    });
  }
});

describe('the options and files the README names', () => {
  const help = (command: string) => hoptrace([command, '--help']).stdout;
  it('replay takes --speed, --pcap-reader, --pcapng, --html, --filter, --window', () => {
    for (const option of ['--speed', '--pcap-reader', '--pcapng', '--html', '--filter', '--window']) expect(help('replay')).toContain(option);
    expect(help('replay').replace(/\s+/g, ' ')).toContain('about twice as fast');
  });
  it('udp and tcp take --timeout, the live commands -v/--verbose, path --json', () => {
    expect(help('udp')).toContain('--timeout <seconds>');
    expect(help('tcp')).toContain('--timeout <seconds>');
    for (const command of ['ping', 'tcp', 'udp', 'watch']) expect(help(command)).toContain('-v, --verbose');
    expect(help('path')).toContain('--json');
  });
  it('has the LICENSE package.json names', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { license: string };
    expect(pkg.license).toBe('MIT');
    expect(fs.readFileSync(path.join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} hoptrace authors\n/);
  });
  it('says the TUI keys the UI binds', async () => {
    const { KEY_HELP, TIMELINE_KEY_HELP } = await import('../../src/render/tui/keys.js');
    const tui = readme.split('### The terminal UI')[1]!.split('\n### ')[0]!;
    for (const [key] of [...KEY_HELP, TIMELINE_KEY_HELP]) {
      for (const part of key.split(' ')) if (part !== '↑↓') expect(tui).toContain(`\`${part}\``);
    }
  });
});
