// The second engine of the cause tests: Docker 28 (chains DOCKER-FORWARD, DOCKER-CT...), in a
// lab of its own. Skipped, with the reason, where it cannot run.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ENGINE28_LAB = { HT_ENGINE: '28', HT_LAB_ID: 'e28' };

/** Why the Docker 28 lab cannot run here, or undefined when it can. */
export function engine28Unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!existsSync('/opt/ht-engine-28/usr/sbin/dockerd')) return 'needs /opt/ht-engine-28 (run scripts/setup.sh as root)';
  if (!readFileSync(join(import.meta.dirname, '..', 'lab', 'lab.sh'), 'utf8').includes('HT_ENGINE')) return 'test/lab/lab.sh does not take HT_ENGINE yet';
  return undefined;
}
