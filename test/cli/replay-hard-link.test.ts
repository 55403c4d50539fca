// `hoptrace replay` of a trace directory one of whose hop files is a hard link: refused with one
// line (where the file's other name is cannot be told), read with --allow-outside-files and then
// named in the report. The real command (node bin/hoptrace.js, built by `npm test`'s pretest).
import { spawnSync } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { cpSync, linkSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.join(__dirname, '..', '..');
const scratch = mkdtempSync(path.join(tmpdir(), 'ht-hard-link-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function hoptrace(args: string[]) {
  const result = spawnSync('node', [path.join(ROOT, 'bin', 'hoptrace.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, signal: result.signal };
}

/** fixtures/ping-out copied, its uplink capture replaced by a hard link to a copy outside the directory. */
function linkedTrace(): string {
  const trace = path.join(scratch, 'trace');
  cpSync(path.join(ROOT, 'fixtures', 'ping-out'), trace, { recursive: true });
  const outside = path.join(scratch, 'outside.pcap');
  cpSync(path.join(trace, '04-eth0.pcap'), outside);
  rmSync(path.join(trace, '04-eth0.pcap'));
  linkSync(outside, path.join(trace, '04-eth0.pcap'));
  return trace;
}

const WHY = 'is a hard link (the file has 2 names): where its other names are cannot be told, so it may be a file from outside the trace directory';

describe('replay of a trace directory holding a hard link', () => {
  const trace = linkedTrace();

  it('is refused with one line naming the file and why, exit 2, nothing on stdout', () => {
    const { code, stdout, stderr } = hoptrace(['replay', trace]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`hoptrace: ${trace}/path.json: hops[3].file: "04-eth0.pcap" ${WHY}; refused (--allow-outside-files to read it)\n`);
  });

  it('with --allow-outside-files is read as the fixture is, and the report names the file', () => {
    const plain = JSON.parse(hoptrace(['replay', path.join(ROOT, 'fixtures', 'ping-out'), '--json']).stdout);
    const { code, stdout, stderr } = hoptrace(['replay', trace, '--json', '--allow-outside-files']);
    expect(code).toBe(0);
    const warning = `${trace}/04-eth0.pcap: offset 0: read with --allow-outside-files: "04-eth0.pcap" ${WHY}`;
    expect(stderr).toBe(`hoptrace: warning: ${warning}\n`);
    const report = JSON.parse(stdout);
    expect(report.summary.warnings).toEqual([warning]);
    expect(report.flows).toEqual(plain.flows);
  });
});

describe("replay of a trace directory whose host.json is hostile", () => {
  /** fixtures/ping-out copied, with host.json made by `make`. */
  const withHostFile = (name: string, make: (file: string) => void): string => {
    const trace = path.join(scratch, name);
    cpSync(path.join(ROOT, 'fixtures', 'ping-out'), trace, { recursive: true });
    make(path.join(trace, 'host.json'));
    return trace;
  };

  it('a FIFO is refused before it is opened (it used to hang replay for ever)', () => {
    const trace = withHostFile('host-fifo', (file) => execFileSync('mkfifo', [file]));
    const { code, stdout, stderr, signal } = hoptrace(['replay', trace]);
    expect(signal).toBeNull();
    expect([code, stdout, stderr]).toEqual([2, '', `hoptrace: ${trace}/host.json: cannot read: a named pipe (FIFO), not a regular file\n`]);
  });

  it('a link to /dev/zero, even with --allow-outside-files, is refused without reading it (it used to grow without bound)', () => {
    const trace = withHostFile('host-zero', (file) => symlinkSync('/dev/zero', file));
    expect(hoptrace(['replay', trace]).stderr).toBe(`hoptrace: ${trace}/host.json: is a link to /dev/zero, outside the trace directory; refused (--allow-outside-files to read it)\n`);
    const { code, stderr, signal } = hoptrace(['replay', trace, '--allow-outside-files']);
    expect(signal).toBeNull();
    expect(code).toBe(2);
    expect(stderr.trimEnd().split('\n').at(-1)).toBe(`hoptrace: ${trace}/host.json: cannot read: a character device, not a regular file`);
  });

  it('a host.json that is not JSON is refused without quoting a byte of it', () => {
    const trace = withHostFile('host-text', (file) => writeFileSync(file, 'root:x:0:0:root:/root:/bin/bash\n'));
    const { code, stderr } = hoptrace(['replay', trace]);
    expect([code, stderr]).toEqual([2, `hoptrace: ${trace}/host.json: JSON: unexpected character\n`]);
  });
});
