// A minimal ustar reader and writer: enough for release bundles, with no dependency. The reader
// streams (one entry's data at a time, never the whole archive) because bundles hold images.
const BLOCK = 512;
/** pax and GNU long-name headers are read into memory: bound them */
const MAX_META_BYTES = 1024 * 1024;

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

export interface TarEntry {
  name: string;
  data: Buffer;
}

export type TarEntryHandler = (name: string, size: number, chunks: AsyncIterable<Buffer>) => Promise<void>;

/**
 * One ustar archive of regular files. mtime, uid and gid are zero so the same entries always give
 * the same bytes. Names are not checked for `..`: the reader is where untrusted archives arrive.
 */
export function writeTar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const { name, data } of entries) parts.push(header(name, data.length), data, Buffer.alloc(padding(data.length)));
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

/**
 * Reads an archive from a stream, calling `onEntry` for each regular file in order. Directories
 * are skipped; links and devices are refused. Data the handler leaves unread is skipped.
 */
export async function readTar(source: AsyncIterable<Buffer>, onEntry: TarEntryHandler): Promise<void> {
  const input = new ByteReader(source);
  let override: { path?: string; size?: number } = {};
  let previous = 'the start of the archive';
  for (;;) {
    const block = await input.exact(BLOCK, `in the header after ${previous}`);
    if (!block) throw new TarError(`unexpected end of file after ${previous}: the end-of-archive blocks are missing`, true);
    if (block.every((b) => b === 0)) {
      const second = await input.exact(BLOCK, 'in the end-of-archive blocks');
      if (!second) throw new TarError('unexpected end of file: the second end-of-archive block is missing', true);
      await input.drain(); // tar pads to a record size; reading to the end also surfaces a corrupt gzip trailer
      return;
    }
    const raw = parseHeader(block, previous);
    const size = override.size ?? raw.size;
    const name = normalise(override.path ?? raw.name);
    override = {};
    const body = new EntryBody(input, size, name);
    switch (raw.type) {
      case 'x': // pax extended header: the next entry's path and size
        override = parsePax(await body.readAll(name));
        break;
      case 'L': // GNU long name
        override = { path: cString(await body.readAll(name), 0, MAX_META_BYTES) };
        break;
      case 'g': // pax global header: nothing bundles need
      case 'K': // GNU long link name: links are refused anyway
      case '5': // directory: created as files need it
        checkName(name);
        break;
      case '0':
      case '\0':
      case '7':
        checkName(name);
        if (!name) throw new TarError('an entry has an empty name');
        await onEntry(name, size, body);
        previous = `entry ${name}`;
        break;
      default:
        throw new TarError(`entry ${name} has type '${raw.type}': only regular files and directories are allowed`);
    }
    await body.skipRest();
    const pad = padding(size);
    if (pad && !(await input.exact(pad, `in the padding of ${name}`))) throw new TarError(`unexpected end of file in the padding of ${name}`, true);
  }
}

/** Refuses names that could land outside the directory an archive is extracted to. */
export function checkName(name: string): void {
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.includes('\\') || name.includes('\0')) {
    throw new TarError(`entry ${JSON.stringify(name)} has an absolute or non-portable path`);
  }
  if (name.split('/').includes('..')) throw new TarError(`entry ${JSON.stringify(name)} points outside the archive`);
}

function header(name: string, size: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  const [prefix, base] = splitName(name);
  h.write(base, 0, 100, 'utf8');
  octal(h, 100, 8, 0o644);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  octal(h, 124, 12, size);
  octal(h, 136, 12, 0);
  h.write('0', 156, 'latin1');
  h.write('ustar\u000000', 257, 'latin1');
  h.write(prefix, 345, 155, 'utf8');
  h.fill(' ', 148, 156); // the checksum is summed with its own field as spaces
  h.write(`${checksum(h).toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

/** ustar keeps up to 100 bytes of name and 155 of directory prefix, split at a slash. */
function splitName(name: string): [string, string] {
  if (Buffer.byteLength(name) <= 100) return ['', name];
  for (let i = name.indexOf('/'); i > 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const base = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && base && Buffer.byteLength(base) <= 100) return [prefix, base];
  }
  throw new TarError(`name ${name} is too long for ustar`);
}

function octal(buf: Buffer, offset: number, length: number, value: number): void {
  const digits = value.toString(8);
  if (digits.length > length - 1) throw new TarError(`value ${value} does not fit a ${length}-byte ustar field`);
  buf.write(`${digits.padStart(length - 1, '0')}\0`, offset, 'latin1');
}

function parseHeader(block: Buffer, previous: string): { name: string; size: number; type: string } {
  const stored = block.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/, '').trim(); // not numeric(): random bytes must fail here, as not tar
  const sum = checksum(Buffer.concat([block.subarray(0, 148), Buffer.alloc(8, ' '), block.subarray(156)]));
  if (!/^[0-7]+$/.test(stored) || parseInt(stored, 8) !== sum) throw new TarError(`header checksum mismatch after ${previous}: not a tar archive, or a corrupt one`);
  const base = cString(block, 0, 100);
  const prefix = block.subarray(257, 263).toString('latin1') === 'ustar\0' ? cString(block, 345, 155) : '';
  return { name: prefix ? `${prefix}/${base}` : base, size: numeric(block, 124, 12), type: String.fromCharCode(block[156]) };
}

/** Octal, or GNU base-256 for sizes of 8 GiB and more. */
function numeric(block: Buffer, offset: number, length: number): number {
  const field = block.subarray(offset, offset + length);
  if (field[0] & 0x80) {
    let value = field[0] & 0x7f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    if (!Number.isSafeInteger(value)) throw new TarError('a size field is too large');
    return value;
  }
  const text = field.toString('latin1').replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]*$/.test(text)) throw new TarError(`a header field is not an octal number: ${JSON.stringify(text)}`);
  return text ? parseInt(text, 8) : 0;
}

function checksum(block: Buffer): number {
  let sum = 0;
  for (const byte of block) sum += byte;
  return sum;
}

function cString(buf: Buffer, offset: number, length: number): string {
  const field = buf.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
}

/** `./manifest.json` and `manifest.json` are the same file; `images/` is the directory `images`. */
function normalise(name: string): string {
  let out = name;
  while (out.startsWith('./')) out = out.slice(2);
  return out === '.' ? '' : out.replace(/\/+$/, '');
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** Records `<length> <key>=<value>\n`; only path and size matter to a reader of regular files. */
function parsePax(data: Buffer): { path?: string; size?: number } {
  const out: { path?: string; size?: number } = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    const length = Number(data.subarray(pos, space).toString('latin1'));
    if (space === -1 || !Number.isInteger(length) || length <= 0 || pos + length > data.length) throw new TarError('malformed pax header');
    const record = data.subarray(space + 1, pos + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (key === 'path') out.path = value;
    if (key === 'size') {
      if (!/^\d+$/.test(value)) throw new TarError('malformed pax size');
      out.size = Number(value);
    }
    pos += length;
  }
  return out;
}

/** One entry's data, pulled from the archive as it is iterated; iterating again resumes. */
class EntryBody implements AsyncIterable<Buffer> {
  private remaining: number;

  constructor(
    private readonly input: ByteReader,
    readonly size: number,
    private readonly name: string,
  ) {
    this.remaining = size;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    while (this.remaining > 0) {
      const chunk = await this.input.some(this.remaining);
      if (!chunk) throw new TarError(`unexpected end of file inside ${this.name} (${this.size - this.remaining} of ${this.size} bytes)`, true);
      this.remaining -= chunk.length;
      yield chunk;
    }
  }

  async readAll(what: string): Promise<Buffer> {
    if (this.size > MAX_META_BYTES) throw new TarError(`the ${what} header is too large`);
    const parts: Buffer[] = [];
    for await (const chunk of this) parts.push(chunk);
    return Buffer.concat(parts);
  }

  async skipRest(): Promise<void> {
    for await (const _ of this); // reading is skipping: the data is not kept
  }
}

/** Exact reads over a stream of chunks of any size. */
class ByteReader {
  private readonly iterator: AsyncIterator<Buffer>;
  private chunks: Buffer[] = [];
  private length = 0;
  private ended = false;

  constructor(source: AsyncIterable<Buffer>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Exactly `n` bytes; undefined when the input ended before the first of them; throws when it ends inside. */
  async exact(n: number, where: string): Promise<Buffer | undefined> {
    while (this.length < n && (await this.pull()));
    if (this.length === 0) return undefined;
    if (this.length < n) throw new TarError(`unexpected end of file ${where}`, true);
    return this.take(n);
  }

  /** Between 1 and `max` bytes, without copying; undefined at the end of the input. */
  async some(max: number): Promise<Buffer | undefined> {
    while (this.length === 0) if (!(await this.pull())) return undefined;
    return this.take(Math.min(max, this.chunks[0].length));
  }

  async drain(): Promise<void> {
    this.chunks = [];
    this.length = 0;
    while (await this.pull()) {
      this.chunks = [];
      this.length = 0;
    }
  }

  private async pull(): Promise<boolean> {
    if (this.ended) return false;
    const next = await this.iterator.next();
    if (next.done) {
      this.ended = true;
      return false;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    if (chunk.length) {
      this.chunks.push(chunk);
      this.length += chunk.length;
    }
    return true;
  }

  private take(n: number): Buffer {
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const head = this.chunks[0];
      if (head.length <= need) {
        parts.push(head);
        this.chunks.shift();
        need -= head.length;
      } else {
        parts.push(head.subarray(0, need));
        this.chunks[0] = head.subarray(need);
        need = 0;
      }
    }
    this.length -= n;
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, n);
  }
}
