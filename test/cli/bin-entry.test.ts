// bin/hoptrace.js runs the newest build: the bundle of npm run build (dist/bundle/cli.js), unless
// tsc wrote dist/cli.js after it (a test or a developer that ran tsc alone), and dist/cli.js when
// there is no bundle. Checked with a copy of the real bin beside two stand-in builds.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const BIN = path.join(__dirname, '..', '..', 'bin', 'hoptrace.js');
const dirs: string[] = [];

/** A package with the real bin and builds that say which one ran; mtimes in seconds since the epoch. */
function packageWith(builds: { compiled: number; bundled?: number }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoptrace-bin-'));
  dirs.push(dir);
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.mkdirSync(path.join(dir, 'dist', 'bundle'), { recursive: true });
  fs.copyFileSync(BIN, path.join(dir, 'bin', 'hoptrace.js'));
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n');
  const write = (file: string, which: string, mtime: number) => {
    fs.writeFileSync(file, `export async function main(argv) { console.log('${which}', argv.slice(2).join(' ')); return 3; }\n`);
    fs.utimesSync(file, mtime, mtime);
  };
  write(path.join(dir, 'dist', 'cli.js'), 'compiled', builds.compiled);
  if (builds.bundled !== undefined) write(path.join(dir, 'dist', 'bundle', 'cli.js'), 'bundled', builds.bundled);
  return dir;
}

function run(dir: string) {
  return spawnSync(process.execPath, [path.join(dir, 'bin', 'hoptrace.js'), 'replay', 'x'], { encoding: 'utf8' });
}

afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('bin/hoptrace.js', () => {
  it('runs the bundle when it is at least as new as tsc\'s dist/cli.js, with the arguments and main()\'s exit code', () => {
    expect(run(packageWith({ compiled: 1_000_000, bundled: 1_000_010 }))).toMatchObject({ status: 3, stdout: 'bundled replay x\n', stderr: '' });
  });

  it('runs dist/cli.js when tsc wrote it after the bundle was made', () => {
    expect(run(packageWith({ compiled: 1_000_010, bundled: 1_000_000 }))).toMatchObject({ status: 3, stdout: 'compiled replay x\n', stderr: '' });
  });

  it('runs dist/cli.js when there is no bundle', () => {
    expect(run(packageWith({ compiled: 1_000_000 }))).toMatchObject({ status: 3, stdout: 'compiled replay x\n', stderr: '' });
  });
});
