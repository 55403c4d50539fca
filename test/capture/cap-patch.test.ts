import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);

describe('the cap module hoptrace captures with', () => {
  it('is the exact version the committed patch is for, patched and rebuilt by postinstall', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; scripts: Record<string, string> };
    expect(readdirSync(join(ROOT, 'patches'))).toEqual([`cap+${pkg.dependencies.cap}.patch`]);
    expect(pkg.scripts.postinstall).toBe('patch-package && npm rebuild cap');
    const { Cap } = require('cap') as { Cap: new () => Record<string, unknown> };
    const cap = new Cap();
    expect(typeof cap.stats).toBe('function');
    expect(typeof cap.precision).toBe('function');
    expect(typeof cap.pause).toBe('function');
    expect(typeof cap.resume).toBe('function');
  });

  it('refuses counters and a precision before a capture is open', () => {
    const { Cap } = require('cap') as { Cap: new () => { stats(): unknown; precision(): string } };
    const cap = new Cap();
    expect(() => cap.stats()).toThrow('Not currently capturing/open');
    expect(() => cap.precision()).toThrow('Not currently capturing/open');
  });
});
