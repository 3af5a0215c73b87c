// The store of release bundles for air-gapped cells: an upload unpacked, verified, then published.
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rm, type FileHandle } from 'node:fs/promises';
import type { BundleFiles } from './bundle-files';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { splitRelease } from '../../crypto/release-digest';
import type { ReleaseSignature } from '../../crypto/release-signature';
import { createGunzip } from 'node:zlib';
import { ErrorType, PortError } from '../../domain/errors';
import type { ReleaseCatalog } from '../../domain/ports';
import type { Release } from '../../domain/release';
import { BundleError, CHECKSUMS, MANIFEST, MAX_CHECKSUMS_BYTES, MAX_MANIFEST_BYTES, imageEntry, isDigestPinned, parseChecksums, parseManifest } from './format';
import type { BundleLimits } from './limits';
import { TarError, TarLimitError, readTar } from './tar';

export interface IngestResult {
  release: Release;
  /** files in the archive, manifest and checksums included */
  files: number;
  /** compressed bytes received */
  bytes: number;
  outcome: 'created' | 'unchanged';
}

/**
 * Release bundles for air-gapped cells. An upload is unpacked into a staging directory, verified,
 * then placed in the bundle store (a directory, or S3: bundle-files.ts) and published to the
 * catalog: a refused bundle leaves nothing behind.
 */
export class BundleStore {
  constructor(
    private readonly catalog: ReleaseCatalog,
    readonly files: BundleFiles,
  ) {}

  /** Where a cell pulls a component's image from, when the release's bundle carries it (a file: or presigned https URL). */
  async imageSource(version: string, component: string): Promise<string | undefined> {
    if (!/^[0-9A-Za-z.-]+$/.test(version) || version.startsWith('.') || !/^[a-z0-9][a-z0-9-]*$/.test(component)) {
      throw new Error(`not a release version and component: ${version} ${component}`);
    }
    return this.files.source(version, imageEntry(component));
  }

  /**
   * Unpacks, verifies and publishes a gzipped bundle within `limits`; `admit` checks its release and
   * the vendor's signature the manifest carries (the install's release policy) before anything is
   * placed. Throws BundleError for a bundle it refuses.
   */
  async ingest(gzStream: AsyncIterable<Buffer> | Readable, limits: BundleLimits, admit: (release: Release, signature?: ReleaseSignature) => void = () => undefined): Promise<IngestResult> {
    const incoming = await this.files.staging();
    try {
      const received = { bytes: 0 };
      const digests = await unpack(gzStream, incoming, limits, received);
      const { signature, ...release } = (await verify(incoming, digests)) as Release & { signature?: ReleaseSignature };
      admit(release, signature);
      const outcome = await this.install(incoming, [...digests.keys()], release, signature);
      return { release, files: digests.size, bytes: received.bytes, outcome };
    } finally {
      await rm(incoming, { recursive: true, force: true });
    }
  }

  /** Places the verified bundle, then publishes it; removes what it placed if publishing is refused (a race). */
  private async install(incoming: string, names: string[], release: Release, signature?: ReleaseSignature): Promise<'created' | 'unchanged'> {
    const known = await this.catalog.get(release.version);
    if (known?.veto) throw new BundleError(`release ${release.version} was vetoed by ${known.veto.by} at ${known.veto.at}: ${known.veto.reason}`, 422);
    // The same release is the same digest; another one under a published version is refused before anything is placed.
    if (known && known.digest !== splitRelease(release).digest) throw immutable(release.version);
    const placed = (await this.files.place(release.version, incoming, names)) === 'placed';
    if (!placed) {
      const existing = await this.files.manifest(release.version);
      if (existing === undefined || splitRelease(withoutSignature(parseManifest(existing))).digest !== splitRelease(release).digest) throw immutable(release.version);
    }
    try {
      const published = await this.catalog.publish(release, { source: 'bundle', signature });
      return placed || published === 'created' ? 'created' : 'unchanged';
    } catch (err) {
      if (placed) await this.files.remove(release.version);
      if (err instanceof PortError && err.type === ErrorType.ReleaseImmutable) throw immutable(release.version);
      throw err;
    }
  }
}

/**
 * gunzip → tar → files under `dir`, hashed while written. Returns path → sha256 of every file.
 * Bytes in, bytes unpacked and entries are counted as they come: a bundle over a limit stops there.
 */
async function unpack(input: AsyncIterable<Buffer> | Readable, dir: string, limits: BundleLimits, received: { bytes: number }): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  const limit = async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      received.bytes += chunk.length;
      if (received.bytes > limits.compressedBytes) throw new BundleError(`the bundle is larger than the limit of ${limits.compressedBytes} bytes`, 413);
      yield chunk;
    }
  };
  const unpacked = async function* (source: AsyncIterable<Buffer>) {
    let bytes = 0;
    for await (const chunk of source) {
      bytes += chunk.length;
      if (bytes > limits.unpackedBytes) throw new BundleError(`the bundle unpacks to more than the limit of ${limits.unpackedBytes} bytes`, 413);
      yield chunk;
    }
  };
  const extract = (tar: AsyncIterable<Buffer>) =>
    readTar(
      unpacked(tar),
      async (name, size, chunks) => {
        if (digests.has(name)) throw new BundleError(`the bundle holds ${name} twice`);
        if (name === MANIFEST && size > MAX_MANIFEST_BYTES) throw new BundleError(`${MANIFEST} is larger than ${MAX_MANIFEST_BYTES} bytes`);
        if (name === CHECKSUMS && size > MAX_CHECKSUMS_BYTES) throw new BundleError(`${CHECKSUMS} is larger than ${MAX_CHECKSUMS_BYTES} bytes`);
        digests.set(name, await writeHashed(join(dir, name), name, chunks));
      },
      { maxEntries: limits.entries },
    );
  const gunzip = createGunzip();
  const feeding = pipeline(input, limit, gunzip);
  void feeding.catch(() => undefined); // its error reaches the tar reader through gunzip
  try {
    await extract(gunzip); // awaited to the end: no file is created after the caller removes `dir`
    await feeding;
  } catch (err) {
    gunzip.destroy();
    await feeding.catch(() => undefined);
    throw asBundleError(err);
  }
  return digests;
}

/** Writes one file, closed before it returns, and gives its sha256. */
async function writeHashed(path: string, name: string, chunks: AsyncIterable<Buffer>): Promise<string> {
  const hash = createHash('sha256');
  let file: FileHandle;
  try {
    await mkdir(dirname(path), { recursive: true });
    file = await open(path, 'wx');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'EISDIR' || code === 'EEXIST') throw new BundleError(`${name} collides with another entry of the bundle`);
    throw err;
  }
  try {
    for await (const chunk of chunks) {
      hash.update(chunk);
      for (let offset = 0; offset < chunk.length; ) offset += (await file.write(chunk, offset)).bytesWritten;
    }
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}

/** Every check that needs the whole bundle: manifest, checksums both ways, an image or a digest per component. */
async function verify(dir: string, digests: Map<string, string>): Promise<Release> {
  if (!digests.has(MANIFEST)) throw new BundleError(`the bundle has no ${MANIFEST}`);
  if (!digests.has(CHECKSUMS)) throw new BundleError(`the bundle has no ${CHECKSUMS}`);
  const sums = parseChecksums(await readFile(join(dir, CHECKSUMS), 'utf8'));
  for (const [name, actual] of digests) {
    if (name === CHECKSUMS) continue;
    const expected = sums.get(name);
    if (!expected) throw new BundleError(`${name} is not listed in ${CHECKSUMS}`);
    if (expected !== actual) throw new BundleError(`checksum mismatch for ${name}: expected ${expected}, got ${actual}`);
  }
  for (const name of sums.keys()) {
    if (!digests.has(name)) throw new BundleError(`${name} is listed in ${CHECKSUMS} but missing from the bundle`);
  }
  const release = parseManifest(await readFile(join(dir, MANIFEST), 'utf8'));
  for (const [component, ref] of Object.entries(release.components)) {
    if (!digests.has(imageEntry(component)) && !isDigestPinned(ref)) {
      throw new BundleError(`component ${component} has no ${imageEntry(component)} and its image ${ref} is not pinned by digest (@sha256:...)`);
    }
  }
  for (const name of digests.keys()) {
    const image = /^images\/(.+)\.tar$/.exec(name);
    if (image && !(image[1] in release.components)) throw new BundleError(`${name} belongs to no component of release ${release.version}`);
  }
  return release;
}

/** What went wrong while streaming, as the client's mistake where it is one. */
function asBundleError(err: unknown): unknown {
  if (err instanceof BundleError) return err;
  if (err instanceof TarLimitError) return new BundleError(`the bundle holds more than the limit of ${err.maxEntries} entries`, 413);
  if (err instanceof TarError) return new BundleError(err.truncated ? `bundle is truncated: ${err.message}` : `bundle is not a valid tar archive: ${err.message}`);
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'Z_BUF_ERROR') return new BundleError('bundle is truncated: unexpected end of file');
  if (code?.startsWith('Z_')) return new BundleError(`bundle is not valid gzip: ${(err as Error).message}`);
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE') return new BundleError('the upload was interrupted');
  return err;
}

function immutable(version: string): BundleError {
  return new BundleError(`release ${version} is already published with a different manifest`, 409);
}

/** A bundle's manifest is the release with the vendor's signature beside it: the signature is not part of the release. */
function withoutSignature(release: Release & { signature?: unknown }): Release {
  const { signature: _, ...rest } = release;
  return rest;
}
