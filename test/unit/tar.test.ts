import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TarError, TarLimitError, readTar, writeTar, type TarEntry } from '../../src/adapters/bundles/tar';

/** The archive as a stream of small uneven chunks, so headers and data straddle chunk edges. */
async function* chunked(data: Buffer, size = 333): AsyncIterable<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function readAll(data: Buffer): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  await readTar(chunked(data), async (name, size, chunks) => {
    const parts: Buffer[] = [];
    for await (const chunk of chunks) parts.push(chunk);
    const body = Buffer.concat(parts);
    expect(body.length).toBe(size);
    entries.push({ name, data: body });
  });
  return entries;
}

describe('tar', () => {
  it('reads back what it writes: empty, exactly one block, more than a block, a name past 100 bytes', async () => {
    const longName = `images/${'nested-directory/'.repeat(5)}${'a'.repeat(90)}.tar`;
    expect(Buffer.byteLength(longName)).toBeGreaterThan(100);
    const entries: TarEntry[] = [
      { name: 'empty', data: Buffer.alloc(0) },
      { name: 'block', data: Buffer.alloc(512, 7) },
      { name: 'images/big.tar', data: Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251)) },
      { name: longName, data: Buffer.from('deep') },
    ];
    const archive = await writeTar(entries);
    expect(archive.length % 512).toBe(0);
    expect(archive.subarray(-1024).every((b) => b === 0)).toBe(true);
    expect(await readAll(archive)).toEqual(entries);
  });

  it('skips what a handler leaves unread and carries on with the next entry', async () => {
    const archive = await writeTar([
      { name: 'skipped', data: Buffer.alloc(2000, 1) },
      { name: 'read', data: Buffer.from('second') },
    ]);
    const seen: string[] = [];
    await readTar(chunked(archive), async (name, _size, chunks) => {
      seen.push(name);
      if (name === 'read') for await (const chunk of chunks) expect(chunk.toString()).toBe('second');
    });
    expect(seen).toEqual(['skipped', 'read']);
  });

  it('refuses an archive cut inside an entry, inside a header, or before its end blocks', async () => {
    const archive = await writeTar([{ name: 'images/api.tar', data: Buffer.alloc(3000, 1) }, { name: 'b', data: Buffer.from('b') }]);
    const cases: [number, RegExp][] = [
      [1500, /unexpected end of file inside images\/api\.tar \(988 of 3000 bytes\)/],
      [3584 + 100, /unexpected end of file in the header after entry images\/api\.tar/],
      [archive.length - 1024, /end-of-archive blocks are missing/],
      [archive.length - 512, /second end-of-archive block is missing/],
    ];
    for (const [length, message] of cases) {
      const err = await readAll(archive.subarray(0, length)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TarError);
      expect((err as TarError).truncated).toBe(true);
      expect((err as Error).message).toMatch(message);
    }
  });

  it('refuses a name that climbs out of the archive, an absolute name, and a damaged header', async () => {
    for (const name of ['../evil', 'images/../../evil', '/etc/passwd']) {
      const seen: string[] = [];
      const err = await readTar(chunked(await writeTar([{ name, data: Buffer.from('x') }])), async (n) => void seen.push(n)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TarError);
      expect((err as Error).message).toMatch(/outside the archive|absolute/);
      expect(seen).toEqual([]);
    }
    const damaged = await writeTar([{ name: 'manifest.json', data: Buffer.from('{}') }]);
    damaged[3] ^= 1;
    await expect(readAll(damaged)).rejects.toThrow(/header checksum mismatch/);
  });

  it('refuses links: an entry that is not a regular file or a directory', async () => {
    const archive = await writeTar([{ name: 'link', data: Buffer.alloc(0) }]);
    archive[156] = '2'.charCodeAt(0); // symlink
    archive.fill(' ', 148, 156);
    let sum = 0;
    for (const b of archive.subarray(0, 512)) sum += b;
    archive.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    await expect(readAll(archive)).rejects.toThrow(/type '2': only regular files and directories/);
  });

  it('writes the same bytes for the same entries, with mtime, uid and gid zero', async () => {
    const entries = [{ name: 'manifest.json', data: Buffer.from('{}') }];
    const archive = await writeTar(entries);
    expect((await writeTar(entries)).equals(archive)).toBe(true);
    const field = (offset: number, length: number) => Number.parseInt(archive.subarray(offset, offset + length).toString('latin1'), 8);
    expect([field(108, 8), field(116, 8), field(136, 12)]).toEqual([0, 0, 0]);
  });

  it('writes and reads names ustar cannot hold in pax headers: no slash to split at, not ASCII', async () => {
    const entries: TarEntry[] = [
      { name: `images/${'a'.repeat(150)}.tar`, data: Buffer.from('long') },
      { name: 'images/ünïcode.tar', data: Buffer.from('utf-8') },
    ];
    expect(await readAll(await writeTar(entries))).toEqual(entries);
  });

  it('refuses a pax name that climbs out of the archive', async () => {
    const name = `images/${'x'.repeat(120)}/../../../evil`;
    await expect(readAll(await writeTar([{ name, data: Buffer.from('x') }]))).rejects.toThrow(/points outside the archive/);
  });

  it('streams: reads no further ahead of a slow handler than a few buffers', async () => {
    const archive = await writeTar([{ name: 'images/big.tar', data: Buffer.alloc(16 * 2 ** 20, 5) }]);
    let pulled = 0;
    const source = async function* () {
      for (let i = 0; i < archive.length; i += 64 * 1024) {
        const chunk = archive.subarray(i, i + 64 * 1024);
        pulled += chunk.length;
        yield chunk;
      }
    };
    let ahead = 0;
    await readTar(source(), async (_name, _size, chunks) => {
      for await (const _ of chunks) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        ahead = pulled;
        break;
      }
    });
    expect(ahead).toBeLessThan(2 * 2 ** 20);
    expect(pulled).toBe(archive.length);
  });

  it('carries on after a handler that stops reading part-way', async () => {
    const archive = await writeTar([
      { name: 'first', data: Buffer.alloc(100_000, 1) },
      { name: 'second', data: Buffer.from('2') },
    ]);
    const seen: string[] = [];
    await readTar(chunked(archive, 4096), async (name, _size, chunks) => {
      seen.push(name);
      for await (const _ of chunks) break;
    });
    expect(seen).toEqual(['first', 'second']);
  });

  it('stops at the entry past maxEntries, directories counted, before handing it on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellshift-tar-'));
    try {
      for (const d of ['a', 'b', 'c']) mkdirSync(join(dir, 'files', d), { recursive: true });
      writeFileSync(join(dir, 'files', 'a', 'one'), '1');
      const archive = execFileSync('tar', ['-cf', '-', '-C', join(dir, 'files'), 'a', 'b', 'c']); // a/, a/one, b/, c/
      const seen: string[] = [];
      const err = await readTar(chunked(archive), async (name) => void seen.push(name), { maxEntries: 3 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TarLimitError);
      expect((err as TarLimitError).message).toBe('the archive holds more than the limit of 3 entries');
      expect(seen).toEqual(['a/one']);
      await readTar(chunked(archive), async () => undefined, { maxEntries: 4 }); // exactly the limit is fine
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("hands on the source's own error unchanged, and calls a random header a checksum mismatch", async () => {
    const broken = new Error('the upload was cut');
    const failing = async function* () {
      yield (await writeTar([{ name: 'a', data: Buffer.alloc(2000) }])).subarray(0, 1024);
      throw broken;
    };
    await expect(readTar(failing(), async () => undefined)).rejects.toBe(broken);
    await expect(readAll(Buffer.alloc(1024, 'not a tar archive '))).rejects.toThrow(/header checksum mismatch after the start of the archive/);
  });

  it('reads what GNU tar writes: GNU long names, pax long names, directories; refuses its symlinks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellshift-tar-'));
    try {
      const deep = `images/${'nested/'.repeat(20)}${'b'.repeat(120)}.tar`;
      mkdirSync(join(dir, 'files', deep, '..'), { recursive: true });
      writeFileSync(join(dir, 'files', 'manifest.json'), '{"version":"1.0.0"}');
      writeFileSync(join(dir, 'files', deep), Buffer.alloc(10_000, 3));
      for (const format of ['gnu', 'pax']) {
        const archive = execFileSync('tar', [`--format=${format}`, '-cf', '-', '-C', join(dir, 'files'), 'manifest.json', 'images']);
        const entries = await readAll(archive);
        expect(entries.map((e) => e.name).sort(), format).toEqual([deep, 'manifest.json']);
        expect(entries.find((e) => e.name === deep)?.data.equals(Buffer.alloc(10_000, 3)), format).toBe(true);
      }
      symlinkSync('/etc/passwd', join(dir, 'files', 'link'));
      const linked = execFileSync('tar', ['-cf', '-', '-C', join(dir, 'files'), 'link']);
      await expect(readAll(linked)).rejects.toThrow(/type '2': only regular files and directories/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
