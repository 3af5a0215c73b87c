// What an earlier `npm start` may have left: its parts are recorded in <dataDir>/run/parts.json, so
// the next start can stop those still running, and a port someone else holds is named with its owner.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

interface Record {
  starter: number;
  /** each part leads its own process group, whose id is its pid */
  parts: { name: string; pid: number; script: string }[];
}

const file = (dataDir: string) => join(dataDir, 'run', 'parts.json');

export function recordParts(dataDir: string, record: Record): void {
  mkdirSync(join(dataDir, 'run'), { recursive: true });
  writeFileSync(file(dataDir), JSON.stringify(record, null, 2));
}

export function forgetParts(dataDir: string): void {
  rmSync(file(dataDir), { force: true });
}

/** The command line of a live process, or undefined (gone, or not ours to read). */
function commandLine(pid: number): string | undefined {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    try {
      return execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      return undefined;
    }
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Refuses to start beside a running start on the same data, and stops the parts an earlier start left
 * running (its starter killed before it could stop them). Returns what it did, one line each.
 */
export async function stopLeftovers(dataDir: string): Promise<string[]> {
  if (!existsSync(file(dataDir))) return [];
  const record = JSON.parse(readFileSync(file(dataDir), 'utf8')) as Record;
  const starter = commandLine(record.starter);
  if (starter?.includes('scripts/start.ts') && record.starter !== process.pid) {
    throw new Error(`cellshift is already running on ${dataDir} (pid ${record.starter}: ${starter}); stop it first`);
  }
  const done: string[] = [];
  for (const part of record.parts) {
    // The group's leader may have exited while a child of it (the Temporal server) still runs.
    const leader = commandLine(part.pid);
    if (leader !== undefined && !leader.includes(part.script)) continue; // the pid went to another program
    if (!groupAlive(part.pid)) continue;
    process.kill(-part.pid, 'SIGTERM');
    for (let i = 0; i < 40 && groupAlive(part.pid); i++) await sleep(250);
    if (groupAlive(part.pid)) process.kill(-part.pid, 'SIGKILL');
    done.push(`stopped ${part.name} (process group ${part.pid}), left running by an earlier start`);
  }
  forgetParts(dataDir);
  return done;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Who listens on a TCP port, as lsof tells it (pid and command), when it can. */
function holder(port: number): string {
  try {
    const out = execFileSync('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fp'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const pid = Number(/^p(\d+)$/m.exec(out)?.[1]);
    if (pid) return `pid ${pid}: ${commandLine(pid) ?? '(command unknown)'}`;
  } catch {
    // no lsof, or nothing it may show us
  }
  return 'a process this user cannot see';
}

/** Fails naming each port in use and who holds it. */
export async function requireFreePorts(ports: { port: number; what: string }[]): Promise<void> {
  const taken: string[] = [];
  for (const { port, what } of ports) if (await listening(port)) taken.push(`port ${port} (${what}) is in use by ${holder(port)}`);
  if (taken.length > 0) throw new Error(taken.join('\n  '));
}
