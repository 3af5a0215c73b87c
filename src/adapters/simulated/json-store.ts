import { mkdir, open, readFile, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

/** A lock older than this was left by a process that died holding it. */
const STALE_LOCK_MS = 10_000;
/**
 * A directory changed longer ago than this is trusted to show its next change in its mtime; one
 * changed more recently is read again each time (a file system's timestamps can be coarse).
 */
const SETTLED_MS = 2_000;

/**
 * The simulated cells' and stacks' own state (what a real cluster or stack would hold): JSON
 * documents in a directory, one file per key. Writes go to a temporary file that is then
 * renamed over the old one, so a crash never leaves a half-written document. Updates of one key
 * are serialised within the process, and across processes (the workers, the agents and the API share
 * the data directory) by a lock file beside the document.
 */
export class JsonStore<T> {
  private readonly locks = new Map<string, Promise<unknown>>();
  /** the directory, made once per process */
  private made?: Promise<unknown>;
  /** every document as last read, and the directory's mtime then */
  private snapshot?: { changedAt: bigint; documents: Map<string, T> };

  constructor(readonly dir: string) {}

  async get(key: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(this.path(key), 'utf8')) as T;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async keys(): Promise<string[]> {
    try {
      const names = await readdir(this.dir);
      return names.filter((n) => n.endsWith('.json')).map((n) => decodeURIComponent(n.slice(0, -5)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /**
   * Every document, by key. Read again only when the directory changed since the last read:
   * every write renames a file into it (and every lock comes and goes there), which moves its mtime.
   */
  async all(): Promise<ReadonlyMap<string, T>> {
    const changedAt = await stat(this.dir, { bigint: true }).then(
      (s) => s.mtimeNs,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return -1n;
        throw err;
      },
    );
    if (this.snapshot?.changedAt === changedAt) return this.snapshot.documents;
    const keys = (await this.keys()).sort();
    const read = await Promise.all(keys.map((key) => this.get(key)));
    const documents = new Map<string, T>();
    for (const [i, key] of keys.entries()) {
      const document = read[i];
      if (document !== undefined) documents.set(key, document);
    }
    const settled = changedAt >= 0n && Date.now() - Number(changedAt / 1_000_000n) > SETTLED_MS;
    this.snapshot = settled ? { changedAt, documents } : undefined;
    return documents;
  }

  async put(key: string, value: T): Promise<void> {
    const file = this.path(key);
    await this.mkdir();
    const tmp = `${file}.${randomUUID()}.tmp`;
    await writeFile(tmp, JSON.stringify(value, null, 2));
    await rename(tmp, file);
  }

  /** Read-modify-write of one key, serialised with every other update of that key. */
  update<R>(key: string, change: (current: T | undefined) => Promise<{ value?: T; result: R }> | { value?: T; result: R }): Promise<R> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(async () => {
      const release = await this.lock(key);
      try {
        const { value, result } = await change(await this.get(key));
        if (value !== undefined) await this.put(key, value);
        return result;
      } finally {
        await release();
      }
    });
    this.locks.set(key, next);
    void next.finally(() => {
      if (this.locks.get(key) === next) this.locks.delete(key);
    }).catch(() => undefined);
    return next;
  }

  private async lock(key: string): Promise<() => Promise<void>> {
    const file = `${this.path(key)}.lock`;
    await this.mkdir();
    for (let attempt = 0; ; attempt++) {
      try {
        await (await open(file, 'wx')).close();
        return () => unlink(file).catch(() => undefined);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const age = await stat(file).then((s) => Date.now() - s.mtimeMs, () => 0);
        if (age > STALE_LOCK_MS) await unlink(file).catch(() => undefined);
        else await sleep(Math.min(50, 2 + attempt));
      }
    }
  }

  private mkdir(): Promise<unknown> {
    return (this.made ??= mkdir(this.dir, { recursive: true }).catch((err) => {
      this.made = undefined;
      throw err;
    }));
  }

  private path(key: string): string {
    return join(this.dir, `${encodeURIComponent(key)}.json`);
  }
}
