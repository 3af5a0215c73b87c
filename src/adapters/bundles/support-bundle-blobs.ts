// Where support bundles' bytes are kept: the database (the embedded default: every process that
// opens it reads them, whatever host it runs on), or the S3 bucket of CELLSHIFT_BUNDLE_STORE under
// `support-bundles/` (production). A bundle is written once, whole, after its digest was checked.
import type * as S3 from '@aws-sdk/client-s3';
import type { Db } from '../db/database';
import { parseS3Location, s3Client } from './s3-bundle-files';

export interface SupportBundleBlobs {
  /** where they are, for messages: `database` or s3://bucket/prefix */
  readonly location: string;
  put(id: string, data: Uint8Array): Promise<void>;
  get(id: string): Promise<Uint8Array | undefined>;
  delete(id: string): Promise<void>;
}

/** The store CELLSHIFT_BUNDLE_STORE names (s3://…), or the database. */
export function supportBundleBlobs(db: Db, env: NodeJS.ProcessEnv = process.env): SupportBundleBlobs {
  const location = env.CELLSHIFT_BUNDLE_STORE;
  if (!location) return new DbSupportBundleBlobs(db);
  const where = parseS3Location(location);
  return new S3SupportBundleBlobs({ bucket: where.bucket, prefix: `${where.prefix}support-bundles/` }, { endpoint: env.CELLSHIFT_BUNDLE_S3_ENDPOINT || undefined, region: env.AWS_REGION || 'us-east-1' });
}

export class DbSupportBundleBlobs implements SupportBundleBlobs {
  readonly location = 'database';

  constructor(private readonly db: Db) {}

  async put(id: string, data: Uint8Array): Promise<void> {
    await this.db.insertInto('support_bundle_blobs').values({ id, data }).onConflict((c) => c.column('id').doUpdateSet({ data })).execute();
  }

  async get(id: string): Promise<Uint8Array | undefined> {
    const row = await this.db.selectFrom('support_bundle_blobs').select('data').where('id', '=', id).executeTakeFirst();
    return row ? new Uint8Array(row.data) : undefined;
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('support_bundle_blobs').where('id', '=', id).execute();
  }
}

export class S3SupportBundleBlobs implements SupportBundleBlobs {
  readonly location: string;
  private sdk?: Promise<{ client: S3.S3Client; s3: typeof S3 }>;

  constructor(
    private readonly where: { bucket: string; prefix: string },
    private readonly options: { endpoint?: string; region: string },
  ) {
    this.location = `s3://${where.bucket}/${where.prefix}`;
  }

  async put(id: string, data: Uint8Array): Promise<void> {
    const { client, s3 } = await this.load();
    await client.send(new s3.PutObjectCommand({ Bucket: this.where.bucket, Key: this.key(id), Body: data, ContentLength: data.byteLength, ContentType: 'application/gzip' }));
  }

  async get(id: string): Promise<Uint8Array | undefined> {
    const { client, s3 } = await this.load();
    try {
      const got = await client.send(new s3.GetObjectCommand({ Bucket: this.where.bucket, Key: this.key(id) }));
      return got.Body ? await got.Body.transformToByteArray() : undefined;
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404) return undefined;
      throw err;
    }
  }

  async delete(id: string): Promise<void> {
    const { client, s3 } = await this.load();
    await client.send(new s3.DeleteObjectCommand({ Bucket: this.where.bucket, Key: this.key(id) }));
  }

  private key(id: string): string {
    return `${this.where.prefix}${id}.tar.gz`;
  }

  private load() {
    return (this.sdk ??= s3Client(this.options));
  }
}
