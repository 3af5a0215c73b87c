// Bundles' files in an object store (S3's API, moto on loopback), as production keeps them when
// API replicas and workers run on different hosts: an upload lands in the bucket, and an
// air-gapped cell pulls its images by presigned URLs that never enter a workflow's history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { buildBundle } from '../src/adapters/bundles/build';
import type { Release } from '../src/domain/release';
import { startMoto, type Moto } from '../scripts/lib/moto';
import { Harness, everyDay, utcClock } from './helpers/harness';

const BUCKET = 'cellshift-bundles';
const release = (version: string): Release => ({ version, components: { server: `registry.example/server:${version}`, web: `registry.example/web:${version}` }, breaking: false });

describe('release bundles in an S3 bucket', () => {
  let moto: Moto;
  let s3: S3Client;
  let h: Harness;
  beforeAll(async () => {
    moto = await startMoto();
    Object.assign(process.env, {
      CELLSHIFT_BUNDLE_STORE: `s3://${BUCKET}/releases`,
      CELLSHIFT_BUNDLE_S3_ENDPOINT: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
    });
    s3 = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    h = await Harness.start();
  });
  afterAll(async () => {
    await h?.stop();
    await moto?.stop();
  });

  const upload = async (bundle: Buffer) =>
    fetch(`${h.baseUrl}/v1/bundles`, { method: 'POST', headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/gzip' }, body: new Uint8Array(bundle) });
  const keys = async () => ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).map((o) => o.Key).sort();

  it('keeps a verified bundle in the bucket, and a refused one nowhere', async () => {
    expect((await upload(await buildBundle(release('8.0.0')))).status).toBe(201);
    expect(await keys()).toEqual(['releases/8.0.0/checksums.sha256', 'releases/8.0.0/images/server.tar', 'releases/8.0.0/images/web.tar', 'releases/8.0.0/manifest.json']);
    expect((await upload(await buildBundle(release('8.0.0')))).status).toBe(200); // the same again: unchanged
    const different = await upload(await buildBundle({ ...release('8.0.0'), notes: 'changed' }));
    expect(different.status).toBe(409);
    const truncated = await buildBundle(release('8.1.0'));
    expect((await upload(truncated.subarray(0, truncated.length / 2))).status).toBe(400);
    expect((await keys()).filter((k) => k!.startsWith('releases/8.1.0/'))).toEqual([]);
  });

  it('an air-gapped cell installs the bundle, pulling each image by a presigned URL kept out of history', async () => {
    const res = await h.http('POST', '/v1/cells', {
      id: 'island-s3',
      ring: 'saas',
      airGapped: true,
      cluster: { kind: 'simulated' },
      maintenanceWindow: everyDay(utcClock(-60_000), 600),
      expectedUpdateMinutes: 5,
    });
    expect(res.status).toBe(201);
    // Its first install takes the newest release it sees: the bundle's.
    const cell = await h.waitFor('island-s3 installed', async () => {
      const got = await h.http('GET', '/v1/cells/island-s3');
      return got.body.state === 'ready' && got.body.version === '8.0.0' ? got.body : undefined;
    });
    expect(cell.history.at(-1)).toMatchObject({ version: '8.0.0', result: 'succeeded' });

    const sim = await h.simulated.read('island-s3');
    expect(sim.version).toBe('8.0.0');
    for (const images of Object.values(sim.nodes)) {
      expect(images).toEqual(expect.arrayContaining([`${moto.endpoint}/${BUCKET}/releases/8.0.0/images/server.tar`]));
      expect(images.join(' ')).not.toContain('X-Amz-Signature');
    }
    // The pull's sources were made inside its activity: no signature in any workflow's history.
    let scanned = 0;
    for await (const execution of h.client.workflow.list({ query: `TaskQueue = '${h.taskQueue}'` })) {
      const history = JSON.stringify(await h.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory());
      expect(history, execution.workflowId).not.toContain('X-Amz-Signature');
      expect(history, execution.workflowId).not.toContain('X-Amz-Credential');
      scanned++;
    }
    expect(scanned).toBeGreaterThanOrEqual(2); // the cell's controller and its install
  });

  it('a pull whose image left the bucket fails the update cleanly, naming the archive', async () => {
    expect((await upload(await buildBundle(release('8.2.0')))).status).toBe(201);
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'releases/8.2.0/images/web.tar' }));
    const accepted = await h.requestUpdate('island-s3', { version: '8.2.0', window: 'now' });
    expect(accepted.status).toBe(202);
    const ended = await h.waitForUpdate(accepted.body.id);
    expect(ended.status).toBe('rolled-back'); // it failed in pull, after maintenance mode: undone
    expect(JSON.stringify(ended)).toContain(`the image of web is missing from release 8.2.0's bundle in s3://${BUCKET}/releases/`);
    const sim = await h.simulated.read('island-s3');
    expect(sim).toMatchObject({ version: '8.0.0', maintenance: false });
  });
});
