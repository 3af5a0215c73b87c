// PostgreSQL for tests and the production-shaped topology: Debian's `postgresql` package (installed
// once with apt-get when missing), a cluster made with initdb in a temporary directory and run
// with pg_ctl as the `postgres` user (the server refuses to run as root). No systemd needed.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './dev-server';

/** The directory of PostgreSQL's server binaries (initdb, pg_ctl, postgres), installing the Debian package when none is there. */
export function ensurePostgres(log: (line: string) => void = (l) => console.error(l)): string {
  const found = findPostgresBin();
  if (found) return found;
  if (process.getuid?.() !== 0) throw new Error('PostgreSQL is not installed and this is not root: install Debian\'s `postgresql` package (apt-get install postgresql) and run again');
  log('installing PostgreSQL from Debian\'s packages (once)…');
  const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (install().status !== 0) {
    execFileSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (install().status !== 0) throw new Error('apt-get install postgresql failed');
  }
  const bin = findPostgresBin();
  if (!bin) throw new Error('apt-get installed postgresql, but no initdb was found under /usr/lib/postgresql');
  return bin;
}

function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] && join(root, versions[0], 'bin');
}

export interface Postgres {
  url: string;
  port: number;
  dataDir: string;
  /** stops the server (fast shutdown); `start` brings it back on the same data and port */
  stop(): void;
  start(): void;
  /** creates a database on the server (as cellshift's beside Temporal's two) and returns its URL */
  createDatabase(name: string): string;
}

/** A throwaway PostgreSQL cluster on 127.0.0.1, trusting local connections, user `postgres`. */
export async function startPostgres(): Promise<Postgres> {
  const bin = ensurePostgres();
  const dataDir = mkdtempSync(join(tmpdir(), 'cellshift-pg-'));
  const port = await freePort();
  // Run as the `postgres` user when this is root (the server refuses root).
  const asPostgres = process.getuid?.() === 0 ? userIds('postgres') : undefined;
  if (asPostgres) chownSync(dataDir, asPostgres.uid, asPostgres.gid);
  const run = (tool: string, args: string[]) => execFileSync(join(bin, tool), args, { stdio: ['ignore', 'ignore', 'pipe'], ...asPostgres, cwd: dataDir });
  run('initdb', ['-D', join(dataDir, 'data'), '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync']);
  const start = () => run('pg_ctl', ['-D', join(dataDir, 'data'), '-l', join(dataDir, 'server.log'), '-w', '-o', `-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    stop: () => run('pg_ctl', ['-D', join(dataDir, 'data'), '-m', 'fast', '-w', 'stop']),
    start,
    createDatabase: (name) => {
      execFileSync(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', name], { stdio: ['ignore', 'ignore', 'pipe'] });
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
  };
}

function userIds(name: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  return { uid, gid };
}
