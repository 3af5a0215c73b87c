import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, placeholderImage, sha256 } from '../src/adapters/bundles/build';
import { DirectoryBundleFiles } from '../src/adapters/bundles/bundle-files';
import { BundleStore } from '../src/adapters/bundles/bundle-store';
import { CHECKSUMS, MANIFEST, MAX_CHECKSUMS_BYTES, formatChecksums } from '../src/adapters/bundles/format';
import { writeTar, type TarEntry } from '../src/adapters/bundles/tar';
import type { Release } from '../src/domain/release';
import { Harness, TOKENS } from './helpers/harness';

const LIMIT = 256 * 1024;
const UNPACKED_LIMIT = 8 * 1024 * 1024;
const MAX_ENTRIES = 50;
/** every other route answers within this, or 503; an upload takes as long as its link needs */
const TIMEOUT_MS = 1_000;
const PINNED = `registry.example/web@sha256:${'a'.repeat(64)}`;

const release = (version: string, overrides: Partial<Release> = {}): Release => ({
  version,
  components: { api: `registry.example/api:${version}`, web: PINNED },
  breaking: false,
  ...overrides,
});

/** A bundle by hand: checksums over `files`, then `tamper` may change what is actually packed. */
async function handBuilt(files: TarEntry[], tamper: (files: TarEntry[]) => TarEntry[] = (f) => f): Promise<Buffer> {
  const sums = formatChecksums(new Map(files.map((f) => [f.name, sha256(f.data)])));
  return gzipSync(await writeTar([...tamper(files), { name: CHECKSUMS, data: Buffer.from(sums) }]));
}

const manifestFile = (value: unknown): TarEntry => ({ name: MANIFEST, data: Buffer.from(JSON.stringify(value)) });

/** Chunked transfer, no content-length: the limit must be enforced while streaming. `pauseMs` between chunks: a slow link. */
function streamOf(data: Buffer, size = 16 * 1024, pauseMs = 0): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    async pull(controller) {
      if (offset >= data.length) return controller.close();
      if (pauseMs && offset > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
      controller.enqueue(data.subarray(offset, (offset += size)));
    },
  });
}

describe('release bundles: POST /v1/bundles', () => {
  let h: Harness;
  let store: BundleStore;
  beforeAll(async () => {
    h = await Harness.start({ worker: false, bundleLimits: { compressedBytes: LIMIT, unpackedBytes: UNPACKED_LIMIT, entries: MAX_ENTRIES }, requestLimits: { timeoutMs: TIMEOUT_MS } });
    store = new BundleStore(h.catalog, new DirectoryBundleFiles(join(h.dataDir, 'bundles')));
  });
  afterAll(() => h?.stop());

  async function upload(body: Buffer | ReadableStream<Uint8Array>, options: { as?: keyof typeof TOKENS; type?: string } = {}) {
    // `duplex` lets fetch send a stream; Node's fetch needs it, the DOM typings lack it.
    const init: RequestInit & { duplex: 'half' } = {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS[options.as ?? 'admin']}`, 'content-type': options.type ?? 'application/gzip' },
      body: Buffer.isBuffer(body) ? new Uint8Array(body) : body,
      duplex: 'half',
    };
    const res = await fetch(`${h.baseUrl}/v1/bundles`, init);
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as any };
  }

  /** Nothing of a refused bundle remains: no release, no directory, no temporary directory. */
  async function expectNothingLeft(version: string) {
    expect((await h.http('GET', `/v1/releases/${version}`)).status).toBe(404);
    expect(existsSync(join(h.dataDir, 'bundles', version))).toBe(false);
    expect(readdirSync(join(h.dataDir, 'bundles')).filter((d) => d.startsWith('.incoming-'))).toEqual([]);
  }

  it('unpacks, verifies and publishes a bundle as source "bundle"; the same bundle again changes nothing', async () => {
    const apiImage = randomBytes(3000);
    const bundle = await buildBundle(release('4.0.0'), { images: { api: apiImage }, digestOnly: ['web'] });
    const res = await upload(bundle);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ version: '4.0.0', source: 'bundle', files: 3, bytes: bundle.length });

    const published = await h.http('GET', '/v1/releases/4.0.0');
    expect(published.status).toBe(200);
    expect(published.body).toMatchObject({ version: '4.0.0', source: 'bundle', rings: [], components: release('4.0.0').components });
    expect(readFileSync(fileURLToPath((await store.imageSource('4.0.0', 'api'))!))).toEqual(apiImage);
    expect(await store.imageSource('4.0.0', 'web')).toBeUndefined(); // digest only: pulled by digest

    const again = await upload(bundle);
    expect(again.status).toBe(200);
    expect(again.body.version).toBe('4.0.0');
    expect(readdirSync(join(h.dataDir, 'bundles'))).toEqual(['4.0.0']);
  });

  it('refuses an image that does not match its checksum, naming the file, and keeps nothing', async () => {
    const files = [manifestFile(release('4.1.0')), { name: 'images/api.tar', data: await placeholderImage('api') }];
    const tampered = await handBuilt(files, (f) => f.map((e) => (e.name === 'images/api.tar' ? { ...e, data: Buffer.from('swapped image') } : e)));
    const res = await upload(tampered);
    expect(res.status).toBe(400);
    expect(res.type).toContain('application/problem+json');
    expect(res.body.detail).toMatch(/^checksum mismatch for images\/api\.tar: expected [0-9a-f]{64}, got [0-9a-f]{64}$/);
    await expectNothingLeft('4.1.0');
  });

  it('refuses a truncated upload', async () => {
    const bundle = await buildBundle(release('4.2.0'), { images: { api: randomBytes(20_000) } });
    const res = await upload(bundle.subarray(0, Math.floor(bundle.length / 2)));
    expect(res.status).toBe(400);
    expect(res.body.detail).toBe('bundle is truncated: unexpected end of file');
    await expectNothingLeft('4.2.0');
  });

  it('refuses what does not hold together: bad manifest, unlisted file, missing image, escaping path, not gzip', async () => {
    const image = { name: 'images/api.tar', data: await placeholderImage('api') };
    const cases: [string, Buffer, RegExp][] = [
      ['manifest without a version', await handBuilt([manifestFile({ components: { api: 'x' }, breaking: false }), image]), /manifest\.json is invalid: manifest\.version: is required/],
      ['unlisted file', await handBuilt([manifestFile(release('4.3.0')), image], (f) => [...f, { name: 'extra.txt', data: Buffer.from('?') }]), /extra\.txt is not listed in checksums\.sha256/],
      ['listed file missing', await handBuilt([manifestFile(release('4.3.0')), image], (f) => f.slice(0, 1)), /images\/api\.tar is listed in checksums\.sha256 but missing/],
      ['component without an image or a digest', await handBuilt([manifestFile(release('4.3.0'))]), /component api has no images\/api\.tar and its image registry\.example\/api:4\.3\.0 is not pinned by digest/],
      ['path out of the archive', await handBuilt([manifestFile(release('4.3.0')), image, { name: '../evil', data: Buffer.from('x') }]), /points outside the archive/],
      ['not gzip', await writeTar([manifestFile(release('4.3.0'))]), /bundle is not valid gzip/],
    ];
    for (const [what, bundle, detail] of cases) {
      const res = await upload(bundle);
      expect(res.status, what).toBe(400);
      expect(res.body.detail, what).toMatch(detail);
    }
    const invalid = await upload(cases[0][1]);
    expect(invalid.body.errors).toEqual([{ field: 'manifest.version', reason: 'is required' }]);
    await expectNothingLeft('4.3.0');
    expect(existsSync(join(h.dataDir, '..', 'evil'))).toBe(false);
  });

  it('refuses a different manifest for a version already published (409), from the registry or a bundle', async () => {
    const registry = await upload(await buildBundle(release('1.2.0'))); // the harness published 1.2.0 from the registry
    expect(registry.status).toBe(409);
    expect(registry.body.detail).toBe('release 1.2.0 is already published with a different manifest');
    expect(existsSync(join(h.dataDir, 'bundles', '1.2.0'))).toBe(false);
    expect((await h.http('GET', '/v1/releases/1.2.0')).body.source).toBe('registry');

    const bundled = await upload(await buildBundle(release('4.0.0', { notes: 'changed' })));
    expect(bundled.status).toBe(409);
    expect((await h.http('GET', '/v1/releases/4.0.0')).body.notes).toBeUndefined();
  });

  it('refuses a bundle over the limit with 413, whether its length is declared or streamed', async () => {
    const big = await buildBundle(release('4.4.0'), { images: { api: randomBytes(LIMIT * 2) } });
    const declared = await upload(big);
    expect(declared.status).toBe(413);
    expect(declared.body.detail).toBe(`the bundle is larger than the limit of ${LIMIT} bytes`);

    const streamed = await upload(streamOf(big));
    expect(streamed.status).toBe(413);
    await expectNothingLeft('4.4.0');

    const small = await upload(streamOf(await buildBundle(release('4.4.1')))); // and the next upload is fine
    expect(small.status).toBe(201);
  });

  it('refuses a gzip bomb, an archive of too many entries and an oversized checksums file, naming the limit, and keeps nothing', async () => {
    // 64 MiB of zeros gzip to about 64 KiB: under the upload limit, eight times the unpacked one. Its checksums are right.
    const bomb = await buildBundle(release('4.7.0'), { images: { api: Buffer.alloc(64 * 1024 * 1024) } });
    expect(bomb.length).toBeLessThan(LIMIT);
    const bombed = await upload(streamOf(bomb));
    expect(bombed.status).toBe(413);
    expect(bombed.type).toContain('application/problem+json');
    expect(bombed.body).toMatchObject({ title: 'Bundle too large', detail: `the bundle unpacks to more than the limit of ${UNPACKED_LIMIT} bytes` });
    await expectNothingLeft('4.7.0');

    // Every file listed and checked: only their number is wrong.
    const many = Array.from({ length: MAX_ENTRIES + 10 }, (_, i) => ({ name: `docs/${i}.txt`, data: Buffer.from(`page ${i}\n`) }));
    const crowded = await upload(await handBuilt([manifestFile(release('4.7.1')), { name: 'images/api.tar', data: await placeholderImage('api') }, ...many]));
    expect(crowded.status).toBe(413);
    expect(crowded.body.detail).toBe(`the bundle holds more than the limit of ${MAX_ENTRIES} entries`);
    await expectNothingLeft('4.7.1');

    // Blank lines are allowed in checksums.sha256, but it is read into memory: its size is bounded too.
    const files = [manifestFile(release('4.7.2')), { name: 'images/api.tar', data: await placeholderImage('api') }];
    const sums = formatChecksums(new Map(files.map((f) => [f.name, sha256(f.data)]))) + '\n'.repeat(MAX_CHECKSUMS_BYTES);
    const padded = await upload(gzipSync(await writeTar([...files, { name: CHECKSUMS, data: Buffer.from(sums) }])));
    expect(padded.status).toBe(400);
    expect(padded.body.detail).toBe(`${CHECKSUMS} is larger than ${MAX_CHECKSUMS_BYTES} bytes`);
    await expectNothingLeft('4.7.2');

    expect((await upload(await buildBundle(release('4.7.3')))).status).toBe(201); // within every limit
  });

  it('takes an upload for as long as its link needs, past the time limit of every other route', async () => {
    const bundle = await buildBundle(release('4.8.0'), { images: { api: randomBytes(40_000) } });
    const started = Date.now();
    const slow = await upload(streamOf(bundle, 4096, 250)); // ten chunks, a quarter second apart
    expect(Date.now() - started).toBeGreaterThan(2 * TIMEOUT_MS);
    expect(slow.status).toBe(201);
    expect(slow.body).toMatchObject({ version: '4.8.0', bytes: bundle.length });
  });

  it('needs the admin role and a gzip body', async () => {
    const bundle = await buildBundle(release('4.5.0'));
    const operator = await upload(bundle, { as: 'operator' });
    expect(operator.status).toBe(403);
    expect(operator.body.detail).toContain('admin');

    for (const type of ['text/plain', 'application/json']) {
      const res = await upload(bundle, { type });
      expect(res.status, type).toBe(415);
      expect(res.type).toContain('application/problem+json');
    }
    expect((await upload(bundle, { type: 'application/x-gzip' })).status).toBe(201);
    expect((await h.http('POST', '/v1/releases', release('4.6.0'))).status).toBe(201); // JSON routes keep their parser
  });
});
