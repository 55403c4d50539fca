// The helper image plan and tar, from this checkout's own files (needs `npm run build`: dist/).
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { helperImageTar, helperTag, imageFingerprint, planHelperImage, type HelperImagePlan, type ImageFile } from '../../src/capture/remote/image.js';

const hasDist = existsSync(new URL('../../dist/capture/live/helper.js', import.meta.url));

describe.skipIf(!hasDist)('helper image', () => {
  it('holds node, the helper and agent, cap with its libpcap, nsenter, and the loader, at the paths they are run from', async () => {
    const plan = await planHelperImage('0.1.0');
    const paths = plan.files.map((f) => f.path);
    expect(plan.tag).toBe(`hoptrace-helper:0.1.0-${plan.fingerprint.slice(0, 12)}`);
    expect(plan.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    for (const p of ['/hoptrace/bin/node', '/hoptrace/bin/nsenter', '/hoptrace/package.json', '/hoptrace/dist/capture/live/helper.js',
      '/hoptrace/dist/capture/live/wire.js', '/hoptrace/dist/capture/remote/agent.js', '/hoptrace/node_modules/cap/build/Release/cap.node',
      '/hoptrace/node_modules/cap/lib/Cap.js']) expect(paths).toContain(p);
    expect(paths.some((p) => /\/libpcap\.so/.test(p))).toBe(true);
    expect(paths.some((p) => /\/ld-linux[^/]*\.so/.test(p))).toBe(true);
    expect(paths.some((p) => p.endsWith('.map') || p.endsWith('.ts'))).toBe(false);
    expect(new Set(paths).size).toBe(paths.length);
  }, 30_000);

  it('changes its fingerprint and tag with the version, and keeps them for the same files', async () => {
    const [a, b, c] = await Promise.all([planHelperImage('0.1.0'), planHelperImage('0.1.0'), planHelperImage('0.2.0')]);
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.tag).toBe(b.tag);
    expect(a.fingerprint).not.toBe(c.fingerprint);
    expect(a.tag).not.toBe(c.tag);
  }, 30_000);

  it('carries the patched cap addon (it links pcap_set_tstamp_precision: kernel nanosecond timestamps)', async () => {
    const plan = await planHelperImage('0.1.0');
    const addon = plan.files.find((f) => f.path === '/hoptrace/node_modules/cap/build/Release/cap.node')!;
    expect(readFileSync(addon.source).includes('pcap_set_tstamp_precision')).toBe(true);
    expect(readFileSync(addon.source).equals(readFileSync(createRequire(import.meta.url).resolve('cap/build/Release/cap.node')))).toBe(true);
  }, 30_000);

  it("changes the tag when one byte of a file changes, even with the same size and mtime (an addon rebuilt in place)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ht-image-'));
    try {
      const addon = join(dir, 'cap.node');
      writeFileSync(addon, 'patched addon: pcap_set_tstamp_precision');
      const files: ImageFile[] = [{ path: '/hoptrace/node_modules/cap/build/Release/cap.node', source: addon, size: 41, mode: 0o755 }];
      const before = await imageFingerprint('0.1.0', files);
      const { mtime } = statSync(addon);
      writeFileSync(addon, 'patched addon: pcap_set_tstamp_precisioN');
      utimesSync(addon, mtime, mtime);
      const after = await imageFingerprint('0.1.0', files);
      expect(after).not.toBe(before);
      expect(helperTag('0.1.0', after)).not.toBe(helperTag('0.1.0', before));
      expect(await imageFingerprint('0.1.0', files)).toBe(after);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('streams a docker-save tar whose config names the layer by its sha256', async () => {
    const require = createRequire(import.meta.url);
    const tarStream = require('tar-stream') as { extract(): NodeJS.WritableStream & { on(e: 'entry', f: (h: { name: string; size: number }, s: NodeJS.ReadableStream, next: () => void) => void): void } };
    // A small plan (two files) so the test reads the whole tar quickly.
    const full = await planHelperImage('0.1.0');
    const plan: HelperImagePlan = { ...full, files: full.files.filter((f) => f.path.endsWith('/package.json')) };
    const entries = new Map<string, Buffer>();
    const extract = tarStream.extract();
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => (entries.set(header.name, Buffer.concat(chunks)), next()));
    });
    (await helperImageTar(plan)).pipe(extract);
    await new Promise((resolve) => extract.on('finish', resolve));
    const manifest = JSON.parse(entries.get('manifest.json')!.toString()) as { Config: string; RepoTags: string[]; Layers: string[] }[];
    expect(manifest[0]!.RepoTags).toEqual([plan.tag]);
    const config = entries.get(manifest[0]!.Config)!;
    expect(manifest[0]!.Config).toBe(`${createHash('sha256').update(config).digest('hex')}.json`);
    const layer = entries.get(manifest[0]!.Layers[0]!)!;
    const parsed = JSON.parse(config.toString()) as { rootfs: { diff_ids: string[] }; config: { Entrypoint: string[]; Labels: Record<string, string> } };
    expect(parsed.rootfs.diff_ids).toEqual([`sha256:${createHash('sha256').update(layer).digest('hex')}`]);
    expect(parsed.config.Entrypoint).toEqual(['/hoptrace/bin/node']);
    expect(parsed.config.Labels['org.hoptrace.helper.fingerprint']).toBe(plan.fingerprint);
  }, 30_000);
});
