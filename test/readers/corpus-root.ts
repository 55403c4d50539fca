// Where the shared corpus is: HOPTRACE_CORPUS, or ../shared/corpus beside the main checkout
// (/work/shared/corpus for /work/main and for worktrees under /work/wt/). A clone has none.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function corpusRoot(): string | null {
  const repo = new URL('../../', import.meta.url).pathname;
  const candidates = [process.env.HOPTRACE_CORPUS, join(repo, '../shared/corpus'), join(repo, '../../shared/corpus')];
  const found = candidates.find((dir) => dir !== undefined && dir !== '' && existsSync(join(dir, 'tcpdump/manifest.json')));
  return found === undefined ? null : `${found.replace(/\/$/, '')}/`;
}
