// Bundles' files in an S3 bucket (or any store speaking its API: MinIO, moto in tests), through
// AWS SDK v3 with its default credentials (environment, profile, instance role). An upload is
// unpacked and verified on local disk first; only a verified bundle reaches the bucket, its
// manifest last, so a bundle without its manifest is one whose placing was cut short.
import { createReadStream } from 'node:fs';
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as S3 from '@aws-sdk/client-s3';
import type { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { BundleFiles } from './bundle-files';

/** How long a presigned URL a cell pulls an image from stays valid. */
const SOURCE_EXPIRES_SECONDS = 3600;
const UPLOAD_CONCURRENCY = 4;

export function parseS3Location(location: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(location);
  if (!match) throw new Error(`CELLSHIFT_BUNDLE_STORE must be s3://bucket[/prefix], not ${location}`);
  const prefix = (match[2] ?? '').replace(/\/*$/, '');
  return { bucket: match[1], prefix: prefix ? `${prefix}/` : '' };
}

export class S3BundleFiles implements BundleFiles {
  readonly location: string;
  /** the SDK, loaded on first use: a control plane without S3 bundles does not pay for it */
  private sdk?: Promise<{ client: S3.S3Client; s3: typeof S3; presign: typeof getSignedUrl }>;

  constructor(
    private readonly where: { bucket: string; prefix: string },
    private readonly options: { endpoint?: string; region: string },
  ) {
    this.location = `s3://${where.bucket}/${where.prefix}`;
  }

  staging(): Promise<string> {
    return mkdtemp(join(tmpdir(), 'cellshift-bundle-'));
  }

  async place(version: string, dir: string, names: string[]): Promise<'placed' | 'exists'> {
    if (await this.exists(this.key(version, 'manifest.json'))) return 'exists';
    const { client, s3 } = await this.load();
    const upload = async (name: string) => {
      const path = join(dir, name);
      await client.send(new s3.PutObjectCommand({ Bucket: this.where.bucket, Key: this.key(version, name), Body: createReadStream(path), ContentLength: (await stat(path)).size }));
    };
    const files = names.filter((n) => n !== 'manifest.json');
    for (let i = 0; i < files.length; i += UPLOAD_CONCURRENCY) await Promise.all(files.slice(i, i + UPLOAD_CONCURRENCY).map(upload));
    await upload('manifest.json');
    return 'placed';
  }

  async manifest(version: string): Promise<string | undefined> {
    const { client, s3 } = await this.load();
    try {
      const got = await client.send(new s3.GetObjectCommand({ Bucket: this.where.bucket, Key: this.key(version, 'manifest.json') }));
      return await got.Body?.transformToString('utf8');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async remove(version: string): Promise<void> {
    const { client, s3 } = await this.load();
    const listed = await client.send(new s3.ListObjectsV2Command({ Bucket: this.where.bucket, Prefix: this.key(version, '') }));
    const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (keys.length > 0) await client.send(new s3.DeleteObjectsCommand({ Bucket: this.where.bucket, Delete: { Objects: keys } }));
  }

  async source(version: string, name: string): Promise<string | undefined> {
    const key = this.key(version, name);
    if (!(await this.exists(key))) return undefined;
    const { client, s3, presign } = await this.load();
    return presign(client, new s3.GetObjectCommand({ Bucket: this.where.bucket, Key: key }), { expiresIn: SOURCE_EXPIRES_SECONDS });
  }

  private key(version: string, name: string): string {
    return `${this.where.prefix}${version}/${name}`;
  }

  private async exists(key: string): Promise<boolean> {
    const { client, s3 } = await this.load();
    try {
      await client.send(new s3.HeadObjectCommand({ Bucket: this.where.bucket, Key: key }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  private load() {
    return (this.sdk ??= (async () => ({ ...(await s3Client(this.options)), presign: (await import('@aws-sdk/s3-request-presigner')).getSignedUrl }))());
  }
}

/** The AWS SDK's S3 client, loaded when first needed: a control plane without S3 does not pay for it. */
export async function s3Client(options: { endpoint?: string; region: string }): Promise<{ client: S3.S3Client; s3: typeof S3 }> {
  const s3 = await import('@aws-sdk/client-s3');
  // An endpoint of its own (MinIO, moto) serves buckets as paths, not as host names.
  const client = new s3.S3Client({ region: options.region, ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}) });
  return { client, s3 };
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}
