import { describe, expect, it } from 'vitest';
import { TarError, readTar, writeTar, type TarEntry } from '../../src/adapters/bundles/tar';

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
    const archive = writeTar(entries);
    expect(archive.length % 512).toBe(0);
    expect(archive.subarray(-1024).every((b) => b === 0)).toBe(true);
    expect(await readAll(archive)).toEqual(entries);
  });

  it('skips what a handler leaves unread and carries on with the next entry', async () => {
    const archive = writeTar([
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
    const archive = writeTar([{ name: 'images/api.tar', data: Buffer.alloc(3000, 1) }, { name: 'b', data: Buffer.from('b') }]);
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
      const err = await readTar(chunked(writeTar([{ name, data: Buffer.from('x') }])), async (n) => void seen.push(n)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TarError);
      expect((err as Error).message).toMatch(/outside the archive|absolute/);
      expect(seen).toEqual([]);
    }
    const damaged = writeTar([{ name: 'manifest.json', data: Buffer.from('{}') }]);
    damaged[3] ^= 1;
    await expect(readAll(damaged)).rejects.toThrow(/header checksum mismatch/);
  });

  it('refuses links: an entry that is not a regular file or a directory', async () => {
    const archive = writeTar([{ name: 'link', data: Buffer.alloc(0) }]);
    archive[156] = '2'.charCodeAt(0); // symlink
    archive.fill(' ', 148, 156);
    let sum = 0;
    for (const b of archive.subarray(0, 512)) sum += b;
    archive.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    await expect(readAll(archive)).rejects.toThrow(/type '2': only regular files and directories/);
  });
});
