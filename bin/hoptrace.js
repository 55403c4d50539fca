#!/usr/bin/env node
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv);
// main() has printed everything and waited for stdout. A request left waiting on a peer that
// never answers (a Docker socket after Ctrl-C) must not keep the process alive past its report.
setTimeout(() => process.exit(), 500).unref();
