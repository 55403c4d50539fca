// The helper image, built from hoptrace's own installed files: the node binary running us,
// our dist/, node_modules/cap, nsenter (and ip/bridge when present), plus every shared library
// ldd says they load, each at the path the dynamic loader looks for it. No registry, no
// Dockerfile: a `docker save`-format tar (manifest.json, config, one layer) streamed to the
// engine's image load. The layer is streamed twice (once to hash it for the config's diff_id,
// once to send it), so memory stays flat although node alone is ~100 MB.
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, posix, relative, resolve } from 'node:path';
import { PassThrough, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const require = createRequire(import.meta.url);
/** tar-stream (a dependency of dockerode's tar-fs): a streaming tar writer; no types are published for v2. */
interface TarPack extends Readable {
  entry(header: { name: string; size?: number; mode: number; mtime: Date; type?: 'file' | 'directory'; uid: number; gid: number }, cb: (err?: Error) => void): Writable;
  entry(header: { name: string; mode: number; mtime: Date; type: 'directory'; uid: number; gid: number }, body: string, cb: (err?: Error) => void): void;
  finalize(): void;
}
const tar = require('tar-stream') as { pack(): TarPack };

export const HELPER_REPO = 'hoptrace-helper';
export const FINGERPRINT_LABEL = 'org.hoptrace.helper.fingerprint';
/** Where hoptrace lives inside the helper image. */
export const IMAGE_ROOT = '/hoptrace';

export interface ImageFile {
  /** Absolute path inside the image. */
  path: string;
  /** Local file whose content it gets (symlinks followed). */
  source: string;
  size: number;
  mode: number;
}

export interface HelperImagePlan {
  /** `hoptrace-helper:<version>-<first 12 of the fingerprint>`: another content, another tag. */
  tag: string;
  files: ImageFile[];
  /** sha256 over the version and every file's path and content (imageFingerprint). */
  fingerprint: string;
  env: string[];
}

/**
 * Files larger than this (the node binary, ~100 MB) are identified by path, size and mtime
 * instead of their bytes: hashing node alone would add ~0.2 s to every trace's start, and a
 * package manager replacing it changes its size or mtime. Everything hoptrace ships (dist,
 * the patched cap addon, its libraries) is hashed byte for byte.
 */
export const CONTENT_HASH_LIMIT = 16 * 1024 * 1024;

/** What identifies an image's contents: the version, then each file's path, mode and bytes (or size and mtime past the limit). */
export async function imageFingerprint(version: string, files: ImageFile[]): Promise<string> {
  const hash = createHash('sha256').update(`${version}\n`);
  for (const f of files) {
    const st = statSync(f.source);
    hash.update(`${f.path}\0${f.mode}\0${st.size}\0`);
    if (st.size > CONTENT_HASH_LIMIT) hash.update(`mtime ${st.mtimeMs}`);
    else await pipeline(createReadStream(f.source), new Writable({ write: (chunk: Buffer, _enc, cb) => (hash.update(chunk), cb()) }));
    hash.update('\n');
  }
  return hash.digest('hex');
}

/** The installed hoptrace package root (this file is <root>/dist/capture/remote/image.js). */
export function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
}

function onPath(tool: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin', '/usr/bin', '/bin']);
  return dirs.map((d) => join(d, tool)).find((p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
}

function walk(dir: string, keep: (path: string) => boolean): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return walk(path, keep);
    // A symlink to a file (xtables names many modules by links) goes in as the file it points to.
    const isFile = e.isFile() || (e.isSymbolicLink() && existsSync(path) && statSync(path).isFile());
    return isFile && keep(path) ? [path] : [];
  });
}

/** The shared libraries and loader an ELF file needs, as ldd resolves them on this machine. */
export async function sharedLibraries(file: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ldd', [file]);
  return stdout.split('\n').flatMap((line) => {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    return m ? [m[1]!] : [];
  });
}

export async function planHelperImage(version: string): Promise<HelperImagePlan> {
  const root = packageRoot();
  const capDir = dirname(require.resolve('cap/package.json'));
  const capBinary = join(capDir, 'build/Release/cap.node');
  const bins: [string, string][] = [['node', process.execPath]];
  // nsenter enters namespaces; ip, bridge and iptables-save let discovery run on the node too.
  for (const tool of ['nsenter', 'ip', 'bridge', 'iptables-save']) {
    const found = onPath(tool);
    if (found) bins.push([tool, found]);
    else if (tool === 'nsenter') throw new Error('nsenter (util-linux) is needed to build the capture helper image');
  }
  const entries: [string, string][] = [
    [`${IMAGE_ROOT}/package.json`, join(root, 'package.json')],
    ...walk(join(root, 'dist'), (p) => p.endsWith('.js')).map((p): [string, string] => [posix.join(IMAGE_ROOT, relative(root, p)), p]),
    ...[join(capDir, 'package.json'), capBinary, ...walk(join(capDir, 'lib'), (p) => p.endsWith('.js'))]
      .map((p): [string, string] => [posix.join(IMAGE_ROOT, 'node_modules/cap', relative(capDir, p)), p]),
    ...bins.map(([name, p]): [string, string] => [`${IMAGE_ROOT}/bin/${name}`, p]),
  ];
  const libs = new Set<string>();
  for (const elf of [process.execPath, capBinary, ...bins.slice(1).map(([, p]) => p)]) {
    for (const lib of await sharedLibraries(elf)) libs.add(lib);
  }
  for (const lib of libs) entries.push([lib, lib]);
  // iptables-save (xtables-nft-multi, which acts by its argv[0]) prints each rule through its extension modules.
  const xtables = [...libs].some((l) => l.includes('libxtables')) ? xtablesDir() : undefined;
  if (xtables) entries.push(...walk(xtables, (p) => p.endsWith('.so')).map((p): [string, string] => [p, p]));
  const files = entries.map(([path, source]) => {
    const st = statSync(source);
    return { path, source, size: st.size, mode: st.mode & 0o777 };
  });
  const fingerprint = await imageFingerprint(version, files);
  const libDirs = [...new Set([...libs].map((l) => dirname(l)))];
  return {
    tag: helperTag(version, fingerprint),
    files,
    fingerprint,
    env: [`PATH=${IMAGE_ROOT}/bin:/usr/sbin:/usr/bin:/sbin:/bin`, `LD_LIBRARY_PATH=${libDirs.join(':')}`, ...(xtables ? [`XTABLES_LIBDIR=${xtables}`] : [])],
  };
}

/** The image's tag: the version for people, the fingerprint's head so that other contents never reuse a tag. */
export function helperTag(version: string, fingerprint: string): string {
  return `${HELPER_REPO}:${version}-${fingerprint.slice(0, 12)}`;
}

function xtablesDir(): string | undefined {
  const candidates = [process.env.XTABLES_LIBDIR, `/usr/lib/${process.arch === 'x64' ? 'x86_64' : 'aarch64'}-linux-gnu/xtables`, '/usr/lib/xtables', '/usr/lib64/xtables'];
  return candidates.find((d) => d !== undefined && existsSync(d));
}

const EPOCH = new Date(0);

/** Writes the layer: every parent directory, then each file streamed from disk. */
async function writeLayer(plan: HelperImagePlan, out: Writable): Promise<void> {
  const pack = tar.pack();
  const done = pipeline(pack, out);
  const dirs = new Set<string>();
  for (const f of plan.files) for (let d = posix.dirname(f.path); d !== '/'; d = posix.dirname(d)) dirs.add(d);
  for (const d of [...dirs].sort()) {
    await new Promise<void>((ok, fail) => pack.entry({ name: d.slice(1), type: 'directory', mode: 0o755, mtime: EPOCH, uid: 0, gid: 0 }, '', (e) => (e ? fail(e) : ok())));
  }
  for (const f of plan.files) {
    await new Promise<void>((ok, fail) => {
      const entry = pack.entry({ name: f.path.slice(1), size: f.size, mode: f.mode, mtime: EPOCH, uid: 0, gid: 0 }, (e) => (e ? fail(e) : ok()));
      createReadStream(f.source).on('error', fail).pipe(entry);
    });
  }
  pack.finalize();
  await done;
}

/** sha256 and length of the layer tar, without keeping it. */
async function measureLayer(plan: HelperImagePlan): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  await writeLayer(plan, new Writable({
    write(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb();
    },
  }));
  return { digest: hash.digest('hex'), size };
}

/** The image as `docker save` would write it, streamed: what the engine's POST /images/load takes. */
export async function helperImageTar(plan: HelperImagePlan): Promise<Readable> {
  const layer = await measureLayer(plan);
  const config = Buffer.from(JSON.stringify({
    architecture: process.arch === 'x64' ? 'amd64' : process.arch, os: 'linux', created: EPOCH.toISOString(),
    config: { Env: plan.env, Entrypoint: [`${IMAGE_ROOT}/bin/node`], WorkingDir: IMAGE_ROOT, Labels: { [FINGERPRINT_LABEL]: plan.fingerprint } },
    rootfs: { type: 'layers', diff_ids: [`sha256:${layer.digest}`] },
    history: [{ created: EPOCH.toISOString(), created_by: 'hoptrace: helper image from its installed files' }],
  }));
  const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
  const manifest = Buffer.from(JSON.stringify([{ Config: configName, RepoTags: [plan.tag], Layers: [`${layer.digest}/layer.tar`] }]));
  const pack = tar.pack();
  const out = new PassThrough();
  pack.pipe(out);
  void (async () => {
    const add = (name: string, body: Buffer): Promise<void> => new Promise((ok, fail) => {
      const w = pack.entry({ name, size: body.length, mode: 0o644, mtime: EPOCH, uid: 0, gid: 0 }, (e) => (e ? fail(e) : ok()));
      w.end(body);
    });
    await add(configName, config);
    await new Promise<void>((ok, fail) => {
      const entry = pack.entry({ name: `${layer.digest}/layer.tar`, size: layer.size, mode: 0o644, mtime: EPOCH, uid: 0, gid: 0 }, (e) => (e ? fail(e) : ok()));
      writeLayer(plan, entry).catch(fail);
    });
    await add('manifest.json', manifest);
    pack.finalize();
  })().catch((error: Error) => out.destroy(error));
  return out;
}

/** The hoptrace version the helper image is tagged with. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
