// Files a trace directory names stay inside it. A trace is often someone else's (a CI
// artefact, a bug report), and hoptrace may run as root: a hop `file` of
// `../../../../etc/shadow`, an absolute path, or a link in the directory pointing out would
// otherwise have hoptrace read whatever the trace's author chose. Such files are refused
// unless the caller allows them, and then they are listed so that the report can name them.
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

/** A file a trace names that lies outside its directory, read because the caller allowed it. */
export interface OutsideFile {
  /** The hop whose capture it is (index into the trace's hops); absent for path.json itself. */
  hop?: number;
  /** The name as the trace gives it. */
  named: string;
  /** Where it really is: the path with every link followed. */
  target: string;
  /**
   * `hard-link`: a regular file with more than one name (st_nlink > 1). Where its other
   * names are cannot be told (Node has no openat2 to open it beneath the directory), so it may
   * be a file from anywhere on the same file system.
   */
  how: 'absolute' | 'parent' | 'link' | 'hard-link';
  /** For a hard link: how many names the file has. */
  links?: number;
}

/** Where a named file is, and whether and how it leaves the directory. */
export interface ResolvedFile {
  path: string;
  outside?: OutsideFile;
}

export function resolveInTraceDir(dir: string, named: string, hop?: number): ResolvedFile {
  const path = isAbsolute(named) ? named : join(dir, named);
  const lexical = isAbsolute(named) ? 'absolute' : leaves(resolve(dir), resolve(path)) ? 'parent' : null;
  const target = realTarget(path);
  const how = lexical ?? (target !== null && leaves(realTarget(dir) ?? resolve(dir), target) ? 'link' : null);
  const links = how === null && target !== null ? hardLinks(target) : 1;
  if (how === null && links <= 1) return { path };
  const outside: OutsideFile = { named, target: target ?? resolve(path), how: how ?? 'hard-link' };
  if (how === null) outside.links = links;
  if (hop !== undefined) outside.hop = hop;
  return { path, outside };
}

/** Why a file is outside, in words for an error line. */
export function outsideWhy(file: OutsideFile): string {
  if (file.how === 'absolute') return 'is an absolute path';
  if (file.how === 'parent') return 'leads out of the trace directory';
  if (file.how === 'hard-link') {
    return `is a hard link (the file has ${file.links} names): where its other names are cannot be told, so it may be a file from outside the trace directory`;
  }
  return `is a link to ${file.target}, outside the trace directory`;
}

function leaves(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
}

/** How many names a regular file has (st_nlink); 1 for anything else (refused or reported when opened). */
function hardLinks(path: string): number {
  try {
    const stat = statSync(path);
    return stat.isFile() ? stat.nlink : 1;
  } catch {
    return 1;
  }
}

/** The path with links followed, or null when it does not exist (opening it will say so). */
function realTarget(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}
