import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * The command line of a child that the kernel kills when hoptrace dies, however it dies
 * (SIGKILL and crashes included): `setpriv --pdeathsig KILL` sets PR_SET_PDEATHSIG and execs
 * the command, and nsenter (without --fork) execs too, so the ping or helper keeps it. The
 * kernel clears it on an exec that gains privilege, which cannot happen for a root parent.
 * Without setpriv (util-linux) the command runs as is: a capture helper still exits when its
 * stdin closes, a ping runs to its count.
 */
export function diesWithParent(file: string, args: string[], setpriv = onPath('setpriv')): [string, string[]] {
  return setpriv ? [setpriv, ['--pdeathsig', 'KILL', '--', file, ...args]] : [file, args];
}
