// npm run build, second step: bundles tsc's dist/cli.js and everything it imports into
// dist/bundle/ (one entry file plus one chunk per lazily imported part), so that a start loads a
// handful of files instead of about a hundred modules, each resolved, read and linked on its own
// (most of a replay's start-up before this; see bench/startup.mjs). Packages from node_modules
// stay outside: Ink, React, dockerode and cap are loaded only where used.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const root = path.join(path.dirname(new URL(import.meta.url).pathname), '..');
const dist = path.join(root, 'dist');
const outdir = path.join(dist, 'bundle');

/**
 * Relative imports are resolved here, exactly as written, into a namespace of our own: esbuild
 * compares file paths without case and took './timeline.js' for its neighbour 'Timeline.js'.
 * Packages stay runtime imports of node_modules (Ink, React, dockerode and cap load only where
 * used), except commander, which every run needs. A module that finds a file beside itself through import.meta.url (the capture helper,
 * package.json) keeps finding it: its import.meta.url becomes the URL of the file tsc wrote for
 * it, which stays in dist/.
 */
const distModules = {
  name: 'dist-modules',
  setup(bundler) {
    bundler.onResolve({ filter: /^[^./]/ }, (args) => (args.path === 'commander' ? undefined : { path: args.path, external: true }));
    bundler.onResolve({ filter: /^\.\.?\/|^\// }, (args) => (args.kind === 'entry-point' || args.resolveDir.startsWith(dist) ? { path: path.resolve(args.resolveDir, args.path), namespace: 'dist' } : undefined));
    bundler.onLoad({ filter: /.*/, namespace: 'dist' }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const fromBundle = path.relative(outdir, args.path).split(path.sep).join('/');
      const contents = source.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`);
      return { contents, loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { cli: path.join(dist, 'cli.js') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  plugins: [distModules],
  // commander is CommonJS: its require() of node's modules needs a require inside an ES module.
  banner: { js: "import { createRequire as __hoptraceCreateRequire } from 'node:module'; const require = __hoptraceCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
