// Tar archives with tar-stream, behind cellshift's own checks: only regular files and directories,
// no name that leaves the archive, a cut archive reported as truncated. The reader streams.
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

const BLOCK = 512;

/** A malformed or unsafe archive. `truncated` when the input ended too early. */
export class TarError extends Error {
  constructor(
    message: string,
    readonly truncated = false,
  ) {
    super(message);
    this.name = 'TarError';
  }
}

/** An archive over a bound the reader was given (too many entries): refused before its end is read. */
export class TarLimitError extends TarError {
  constructor(readonly maxEntries: number) {
    super(`the archive holds more than the limit of ${maxEntries} entries`);
    this.name = 'TarLimitError';
  }
}

export interface TarEntry {
  name: string;
  data: Buffer;
}

export type TarEntryHandler = (name: string, size: number, chunks: AsyncIterable<Buffer>) => Promise<void>;

/**
 * One archive of regular files, names past ustar's limits in pax headers. mtime, uid and gid are
 * zero so the same entries always give the same bytes (bundles are hashed). Names are not checked
 * for `..`: the reader is where untrusted archives arrive.
 */
export async function writeTar(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const { name, data } of entries) pack.entry({ name, mode: 0o644, uid: 0, gid: 0, mtime: new Date(0) }, data);
  pack.finalize();
  const parts: Buffer[] = [];
  for await (const chunk of pack) parts.push(chunk as Buffer); // streamx types chunks as unknown; tar-stream's are Buffers
  return Buffer.concat(parts);
}

/** Where the reader is: bytes received, and the last entry whose header it read (its data starts a block after its header). */
interface Position {
  received: number;
  entry?: { name: string; start: number; size: number };
}

/**
 * Reads an archive from a stream, calling `onEntry` for each regular file in order. Directories
 * are skipped; links and devices are refused. Data the handler leaves unread is skipped. pax and
 * GNU long-name headers are read into memory, bounded by tar-stream (4 MiB). More than `maxEntries`
 * entries (files and directories) is a TarLimitError.
 */
export async function readTar(source: AsyncIterable<Buffer>, onEntry: TarEntryHandler, options: { maxEntries?: number } = {}): Promise<void> {
  const maxEntries = options.maxEntries ?? Infinity;
  let entries = 0;
  const at: Position = { received: 0 };
  const extract = tar.extract();
  const count = async function* (chunks: AsyncIterable<Buffer>) {
    for await (const chunk of chunks) {
      at.received += chunk.length;
      yield chunk;
    }
  };
  const feeding = pipeline(source, count, extract);
  void feeding.catch(() => undefined); // its errors reach the loop below through `extract`, unchanged
  try {
    for await (const entry of extract) {
      if (++entries > maxEntries) throw new TarLimitError(maxEntries);
      const name = normalise(entry.header.name);
      at.entry = { name, start: entry.offset + BLOCK, size: entry.header.size };
      checkName(name);
      const body = new EntryBody(entry as AsyncIterable<Buffer>);
      if (entry.header.type === 'file' || entry.header.type === 'contiguous-file') {
        if (!name) throw new TarError('an entry has an empty name');
        await onEntry(name, at.entry.size, body);
      } else if (entry.header.type !== 'directory') {
        const type = entry.header.type ?? 'special file'; // null: a typeflag tar-stream does not know (GNU sparse…)
        throw new TarError(`entry ${name} is a ${type}, type '${TYPEFLAGS[type] ?? '?'}': only regular files and directories are allowed`);
      }
      await body.skipRest();
    }
    await feeding;
  } catch (err) {
    throw asTarError(err, at);
  }
  // tar-stream ends quietly at an entry's end: the end-of-archive blocks tell a whole archive from a cut one.
  const trailing = at.received - (at.entry ? at.entry.start + padded(at.entry.size) : 0);
  if (trailing === 0) throw new TarError(`unexpected end of file after ${after(at)}: the end-of-archive blocks are missing`, true);
  if (trailing < 2 * BLOCK) throw new TarError('unexpected end of file: the second end-of-archive block is missing', true);
}

/** Refuses names that could land outside the directory an archive is extracted to. */
export function checkName(name: string): void {
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.includes('\\') || name.includes('\0')) {
    throw new TarError(`entry ${JSON.stringify(name)} has an absolute or non-portable path`);
  }
  if (name.split('/').includes('..')) throw new TarError(`entry ${JSON.stringify(name)} points outside the archive`);
}

/** The typeflags of what tar-stream names, for messages in tar's own terms. */
const TYPEFLAGS: Record<string, string> = { link: '1', symlink: '2', 'character-device': '3', 'block-device': '4', fifo: '6' };

/** tar-stream's failures (plain Errors) as TarErrors; anything else (the source's, a handler's) unchanged. */
function asTarError(err: unknown, at: Position): unknown {
  if (err instanceof TarError || !(err instanceof Error)) return err;
  const entry = at.entry;
  switch (err.message) {
    case 'Unexpected end of data': // the input ended inside an entry or a header
      if (entry && at.received < entry.start + entry.size) return new TarError(`unexpected end of file inside ${entry.name} (${at.received - entry.start} of ${entry.size} bytes)`, true);
      if (entry && at.received < entry.start + padded(entry.size)) return new TarError(`unexpected end of file in the padding of ${entry.name}`, true);
      return new TarError(`unexpected end of file in the header after ${after(at)}`, true);
    case 'Invalid tar header. Maybe the tar is corrupted or it needs to be gunzipped?':
      return new TarError(`header checksum mismatch after ${after(at)}: not a tar archive, or a corrupt one`);
    case 'Invalid tar header: unknown format.':
    case 'Invalid header':
    case 'Header exceeds max size':
      return new TarError(`${err.message} after ${after(at)}: not a tar archive, or a corrupt one`);
    default:
      return err;
  }
}

function after(at: Position): string {
  return at.entry ? `entry ${at.entry.name}` : 'the start of the archive';
}

/** `./manifest.json` and `manifest.json` are the same file; `images/` is the directory `images`. */
function normalise(name: string): string {
  let out = name;
  while (out.startsWith('./')) out = out.slice(2);
  return out === '.' ? '' : out.replace(/\/+$/, '');
}

function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

/**
 * One entry's data as the handler iterates it. Read with `next()` only: ending an entry's stream
 * early would end tar-stream's whole extraction, so what the handler leaves is skipped after it.
 */
class EntryBody implements AsyncIterable<Buffer> {
  private readonly chunks: AsyncIterator<Buffer>;

  constructor(entry: AsyncIterable<Buffer>) {
    this.chunks = entry[Symbol.asyncIterator]();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (let next = await this.chunks.next(); !next.done; next = await this.chunks.next()) yield next.value;
  }

  async skipRest(): Promise<void> {
    while (!(await this.chunks.next()).done); // reading is skipping: the data is not kept
  }
}
