import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where built tools live: outside the clone, so every clone and CI run on this machine pays for a
 * build once. CELLSHIFT_CACHE_DIR moves it.
 */
export function toolCacheDir(): string {
  if (process.env.CELLSHIFT_CACHE_DIR) return process.env.CELLSHIFT_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(base, 'cellshift');
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
