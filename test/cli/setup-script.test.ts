// scripts/setup.sh's first decisions, with apt-get, dpkg-query, id, sudo and npm replaced by
// stubs on PATH that log their calls: root installs without sudo, a user gets sudo only for a
// missing package, and a user without sudo is told what to do.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ht-setup-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function stubs(name: string, opts: { uid: number; sudo: boolean; missing: string[] }): string {
  const bin = path.join(tmp, name);
  fs.mkdirSync(bin);
  const log = path.join(tmp, `${name}.log`);
  const write = (tool: string, body: string) => fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  const missing = opts.missing.map((p) => `"${p}"`).join(' ');
  write('dpkg-query', `for p in ${missing || '""'}; do [ "$p" = "$3" ] && exit 1; done; printf 'install ok installed'`);
  write('id', `echo ${opts.uid}`);
  for (const tool of ['apt-get', 'npm']) write(tool, `echo "${tool} $*" >> ${log}`);
  if (opts.sudo) write('sudo', `echo "sudo $*" >> ${log}; exec "$@"`);
  // Only the stubs and the basic tools: no real sudo or apt-get can be found.
  for (const tool of ['bash', 'env', 'grep', 'dirname', 'cat']) fs.symlinkSync(spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim(), path.join(bin, tool));
  return bin;
}

function setup(bin: string) {
  const run = spawnSync(path.join(bin, 'bash'), [path.join(root, 'scripts', 'setup.sh')], { encoding: 'utf8', env: { PATH: bin, HOME: tmp } });
  const logFile = `${bin}.log`;
  return { status: run.status, stderr: run.stderr, calls: fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').trim().split('\n') : [] };
}

describe('scripts/setup.sh', () => {
  it('as root with no sudo installs what is missing with apt-get itself, then npm ci and the build', () => {
    const { status, calls } = setup(stubs('root', { uid: 0, sudo: false, missing: ['tmux'] }));
    expect(status).toBe(0);
    expect(calls[0]).toBe('apt-get update -qq');
    expect(calls[1]).toMatch(/^apt-get install -y -qq --no-install-recommends tmux$/);
    expect(calls.slice(2)).toEqual(['npm ci --no-audit --no-fund', 'npm run build']);
  });

  it('as a user with sudo asks for sudo only to install, never for npm', () => {
    const { status, calls } = setup(stubs('user', { uid: 1000, sudo: true, missing: ['jq'] }));
    expect(status).toBe(0);
    expect(calls.filter((c) => c.startsWith('sudo '))).toEqual(['sudo apt-get update -qq', expect.stringMatching(/^sudo env DEBIAN_FRONTEND=noninteractive apt-get install .* jq$/)]);
    expect(calls.slice(-2)).toEqual(['npm ci --no-audit --no-fund', 'npm run build']);
  });

  it('as a user with everything installed needs no sudo at all', () => {
    const { status, calls } = setup(stubs('ready', { uid: 1000, sudo: true, missing: [] }));
    expect(status).toBe(0);
    expect(calls).toEqual(['npm ci --no-audit --no-fund', 'npm run build']);
  });

  it('as a user without sudo and a package missing says what to do, exit 1, and installs nothing', () => {
    const { status, stderr, calls } = setup(stubs('nosudo', { uid: 1000, sudo: false, missing: ['tcpdump'] }));
    expect(status).toBe(1);
    expect(stderr.trim()).toBe('setup: missing Debian packages: tcpdump; run this script as root, or install sudo, to install them');
    expect(calls).toEqual([]);
  });
});
