// npm run build, second step: bundles tsc's dist/cli.js and everything it imports into
// dist/bundle/ (one entry file plus one chunk per lazily imported part), so that a start loads a
// handful of files instead of about a hundred modules, each resolved, read and linked on its own
// (most of a replay's start-up before this; see bench/startup.mjs). Packages from node_modules
// stay outside: Ink, React, dockerode and cap are loaded only where used.
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const root = path.join(path.dirname(new URL(import.meta.url).pathname), '..');
const dist = path.join(root, 'dist');
const outdir = path.join(dist, 'bundle');

/** Packages bundled: every run needs commander; dockerode is loaded by every live command. */
const BUNDLED = new Set(['commander', 'dockerode']);

/**
 * Parts of dockerode's packages that its modules require when loaded but that hoptrace never
 * calls: bundled as stubs that load the real module on first call. They are three quarters of
 * loading dockerode (gRPC and protobuf for build sessions, ssh2 for ssh:// endpoints).
 */
const LOADED_ON_FIRST_CALL = /node_modules\/(dockerode\/lib\/session|docker-modem\/lib\/ssh)\.js$/;
/** Required by dockerode only inside the function that uses it (build progress): left in node_modules. */
const LEFT_IN_NODE_MODULES = /node_modules\/dockerode\/lib\/buildkit\.js$/;

/**
 * Relative imports of dist/ are resolved here, exactly as written, into a namespace of our own:
 * esbuild compares file paths without case and took './timeline.js' for its neighbour
 * 'Timeline.js'. Packages but BUNDLED (and what they require) stay runtime imports of
 * node_modules: Ink, React and cap load only where used. A module that finds a file beside
 * itself through import.meta.url (the capture helper, package.json) keeps finding it: its
 * import.meta.url becomes the URL of the file tsc wrote for it, which stays in dist/.
 */
const distModules = {
  name: 'dist-modules',
  setup(bundler) {
    const fromDist = (args) => args.kind === 'entry-point' || args.namespace === 'dist';
    bundler.onResolve({ filter: /^[^./]/ }, (args) => (fromDist(args) && !BUNDLED.has(args.path) ? { path: args.path, external: true } : undefined));
    bundler.onResolve({ filter: /^\.\.?\/|^\// }, (args) => (fromDist(args) ? { path: path.resolve(args.resolveDir, args.path), namespace: 'dist' } : undefined));
    bundler.onLoad({ filter: /.*/, namespace: 'dist' }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const fromBundle = path.relative(outdir, args.path).split(path.sep).join('/');
      const contents = source.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`);
      return { contents, loader: 'js', resolveDir: path.dirname(args.path) };
    });
    // An aliased require is not followed by esbuild: the real module is required at run time, from dockerode's place.
    const real = (file) => `load(load.resolve(${JSON.stringify(file.slice(file.lastIndexOf('node_modules/') + 'node_modules/'.length))}, { paths: [load.resolve('dockerode')] }))`;
    bundler.onLoad({ filter: LOADED_ON_FIRST_CALL }, (args) => ({
      contents: `const load = require;\nmodule.exports = function loadedOnFirstCall(...args) {\n  return ${real(args.path)}(...args);\n};\n`,
      loader: 'js',
    }));
    bundler.onLoad({ filter: LEFT_IN_NODE_MODULES }, (args) => ({ contents: `const load = require;\nmodule.exports = ${real(args.path)};\n`, loader: 'js' }));
  },
};

rmSync(outdir, { recursive: true, force: true });
const { metafile } = await build({
  // The replay worker's thread is an entry of its own: a big replay's worker starts from the
  // bundle too (replay-worker.ts), instead of linking about sixty modules of dist/.
  entryPoints: { cli: path.join(dist, 'cli.js'), 'replay-thread': path.join(dist, 'pipeline', 'replay-thread.js') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  plugins: [distModules],
  metafile: true,
  // commander and dockerode are CommonJS: their require() of node's modules needs a require inside an ES module.
  banner: { js: "import { createRequire as __hoptraceCreateRequire } from 'node:module'; const require = __hoptraceCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});

// Which packages each file of the bundle holds, for the test that a replay loads no Docker or UI code.
const packages = Object.fromEntries(
  Object.entries(metafile.outputs).map(([file, output]) => [
    path.basename(file),
    [...new Set(Object.keys(output.inputs).flatMap((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? []))].sort(),
  ]),
);
writeFileSync(path.join(outdir, 'packages.json'), `${JSON.stringify(packages, null, 2)}\n`);
