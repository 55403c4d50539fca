#!/usr/bin/env node
import { statSync } from 'node:fs';

// `npm run build` compiles src/ into dist/ (tsc) and then bundles dist/ into dist/bundle/
// (scripts/bundle.mjs): a handful of files to load instead of about a hundred modules, which is
// most of a replay's start-up. A dist/ compiled again by tsc alone is newer than the bundle and
// is run as it is, so what runs is always the newest build.
const compiled = new URL('../dist/cli.js', import.meta.url);
const bundled = new URL('../dist/bundle/cli.js', import.meta.url);
const { main } = await import(newer(bundled, compiled) ? bundled : compiled);

process.exitCode = await main(process.argv);
// main() has printed everything and waited for stdout. A request left waiting on a peer that
// never answers (a Docker socket after Ctrl-C) must not keep the process alive past its report.
setTimeout(() => process.exit(), 500).unref();

function newer(a, b) {
  try {
    return statSync(a).mtimeMs >= statSync(b).mtimeMs;
  } catch {
    return false;
  }
}
