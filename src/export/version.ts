import { createRequire } from 'node:module';

/** hoptrace's version, from the package.json two levels above dist/export/ (or src/export/). */
export function hoptraceVersion(): string {
  try {
    const pkg = createRequire(import.meta.url)('../../package.json') as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
