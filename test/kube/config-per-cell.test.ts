// One release, two customers' clusters on the Kubernetes test bed, each with its own values: a
// domain and replicas set by the operator, a bucket read from each cell's own stack output (a
// CloudFormation stack in moto for the direct cell, the simulated stack for the agent cell), a
// database password that stays in a Secret of the cell. One cell is reached directly, the other
// through its agent (which reads its own cell's values over the agent endpoint, and its stack with
// its own credentials). Neither value reaches any history; a reference to a Secret the cell does
// not hold is refused in preflight.
import type { ChildProcess } from 'node:child_process';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import type { V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect, type KubeClients } from '../../src/adapters/kubernetes/connection';
import type { Release } from '../../src/domain/release';
import { cellWorkflowId, updateWorkflowId } from '../../src/workflows/ids';
import { startMoto, type Moto } from '../../scripts/lib/moto';
import { everyDay, Harness, utcClock } from '../helpers/harness';

const CELLS = {
  'k8s-cfg-direct': { namespace: 'cfg-direct', domain: 'initech-workspaces.example.com', replicas: 2 },
  'k8s-cfg-agent': { namespace: 'cfg-agent', domain: 'umbrella-dev.example.net', replicas: 3 },
} as const;
type CellId = keyof typeof CELLS;

const release: Release = {
  version: '10.0.0',
  components: { web: 'registry.example.com/product/web:10.0.0' },
  breaking: false,
  config: [
    { name: 'domain', type: 'string', setBy: 'operator', required: true },
    { name: 'replicas', type: 'number', setBy: 'operator', default: 1 },
    { name: 'bucket', type: 'string', setBy: 'stack', output: 'BucketName', required: true },
    { name: 'dbPassword', type: 'secret', setBy: 'operator' },
  ],
  manifests: [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { url: 'https://${{ config.domain }}/', bucket: '${{ config.bucket }}' } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: '${{ config.replicas }}',
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              {
                name: 'web',
                image: 'registry.example.com/product/web:10.0.0',
                env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: '${{ config.dbPassword.name }}', key: '${{ config.dbPassword.key }}' } } }],
              },
            ],
          },
        },
      },
    },
  ],
};

describe('configuration per cell on Kubernetes, a direct cell and an agent cell', () => {
  let h: Harness;
  let kube: KubeClients;
  let agent: ChildProcess | undefined;
  let moto: Moto;
  const kubeconfigPath = inject('kubeconfigPath');

  beforeAll(async () => {
    // The direct cell's stack: a bucket of its own, named by the stack's output BucketName.
    moto = await startMoto(); // no skip: a run without moto is a failed run
    process.env.CELLSHIFT_AWS_CFG_DIRECT_ACCESS_KEY_ID = 'testing';
    process.env.CELLSHIFT_AWS_CFG_DIRECT_SECRET_ACCESS_KEY = 'testing';
    const cfn = new CloudFormationClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await cfn.send(
      new CreateStackCommand({
        StackName: 'cfg-direct',
        TemplateBody: JSON.stringify({
          Resources: { Workspaces: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'k8s-cfg-direct-workspaces' } } },
          Outputs: { BucketName: { Value: { Ref: 'Workspaces' } }, TemplateVersion: { Value: '1.0.0' } },
        }),
      }),
    );
    cfn.destroy();
    h = await Harness.start({ releases: [] });
    kube = connect({ kind: 'kubernetes', kubeconfig: { path: kubeconfigPath }, namespace: 'default' });
    expect((await h.http('POST', '/v1/releases', release)).status).toBe(201);
    for (const ring of ['staging', 'saas']) expect((await h.http('POST', '/v1/releases/10.0.0/promote', { ring })).status).toBe(200);
  });
  afterAll(async () => {
    agent?.kill('SIGKILL');
    await h?.stop();
    await moto?.stop();
  });

  const cellBody = (id: CellId) => ({
    id,
    ring: 'saas',
    cluster: { kind: 'kubernetes', namespace: CELLS[id].namespace, ...(id === 'k8s-cfg-direct' ? { kubeconfig: { path: kubeconfigPath } } : {}) },
    ...(id === 'k8s-cfg-agent' ? { connection: 'agent' } : {}),
    stack:
      id === 'k8s-cfg-direct'
        ? { kind: 'aws', region: 'us-east-1', stackName: 'cfg-direct', endpoint: moto.endpoint, credentialsRef: 'cfg-direct' }
        : { kind: 'simulated', templateVersion: '1.0.0' },
    maintenanceWindow: everyDay(utcClock(-60_000), 600),
    expectedUpdateMinutes: 5,
  });
  const cell = async (id: CellId) => (await h.http('GET', `/v1/cells/${id}`)).body;
  const createSecret = (namespace: string) => kube.core.createNamespacedSecret({ namespace, body: { metadata: { name: 'db-credentials' }, stringData: { password: `not-for-cellshift-${namespace}` } } });

  it('holds a new cell without its required values; installs it once they are set, refusing in preflight a Secret the cell lacks', async () => {
    expect((await h.http('POST', '/v1/cells', cellBody('k8s-cfg-direct'))).status).toBe(201);
    const held = await h.waitFor('the first install held', async () => {
      const body = await cell('k8s-cfg-direct');
      return body.reconcileError ? body : undefined;
    }, 120_000);
    expect(held.reconcileError).toContain('lacks configuration release 10.0.0 requires: domain');
    expect(held.version).toBeNull();

    const { domain, replicas } = CELLS['k8s-cfg-direct'];
    const set = await h.http('PUT', '/v1/cells/k8s-cfg-direct/config', { values: { domain, replicas, dbPassword: { secret: { name: 'db-credentials', key: 'password' } } } }, 'operator');
    expect(set.status, JSON.stringify(set.body)).toBe(202);
    // The install goes on now, and stops in preflight: the Secret is not in the cell yet.
    const failed = await h.waitFor('the install refused', async () => {
      const body = await cell('k8s-cfg-direct');
      return body.state === 'install-failed' && !body.currentUpdate ? body : undefined;
    }, 120_000);
    const install = (await h.http('GET', `/v1/updates/${failed.history.at(-1).updateId}`)).body;
    expect(install).toMatchObject({ status: 'failed', failedStep: 'preflight', error: expect.stringContaining('Secrets the namespace cfg-direct does not hold: db-credentials (item dbPassword)') });
    expect(install.steps.find((s: { name: string }) => s.name === 'maintenanceOn').status).toBe('skipped');

    await createSecret('cfg-direct');
    const again = await h.requestUpdate('k8s-cfg-direct', { version: '10.0.0', window: 'now' });
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    expect((await h.waitForUpdate(again.body.id, undefined, 180_000)).status).toBe('succeeded');
  });

  it('an agent cell renders the same release with its own values, read through the agent endpoint and its own stack', async () => {
    expect((await h.http('POST', '/v1/cells', cellBody('k8s-cfg-agent'))).status).toBe(201);
    const { domain, replicas } = CELLS['k8s-cfg-agent'];
    // Set before its agent comes: the install renders them at once.
    expect((await h.http('PUT', '/v1/cells/k8s-cfg-agent/config', { values: { domain, replicas, dbPassword: { secret: { name: 'db-credentials', key: 'password' } } } }, 'operator')).status).toBe(202);
    await kube.core.createNamespace({ body: { metadata: { name: 'cfg-agent' } } }).catch(() => undefined);
    await createSecret('cfg-agent');
    agent = await h.spawnAgent('k8s-cfg-agent', ['--kubeconfig', kubeconfigPath]);
    await h.waitFor('installed through the agent', async () => {
      const body = await cell('k8s-cfg-agent');
      return body.version === '10.0.0' && !body.currentUpdate ? body : undefined;
    }, 180_000);
  });

  it("each cluster runs the release with its own values, and no value is in any workflow's history", async () => {
    const histories: string[] = [];
    for (const id of Object.keys(CELLS) as CellId[]) {
      const { namespace, domain, replicas } = CELLS[id];
      const settings = await kube.core.readNamespacedConfigMap({ name: 'settings', namespace });
      expect(settings.data).toEqual({ url: `https://${domain}/`, bucket: `${id}-workspaces` });
      const web = (await kube.apps.readNamespacedDeployment({ name: 'web', namespace })) as V1Deployment;
      expect(web.spec?.replicas).toBe(replicas);
      expect(web.spec?.template.spec?.containers[0].env?.[0].valueFrom?.secretKeyRef).toEqual({ name: 'db-credentials', key: 'password' });
      const inventory = await kube.core.readNamespacedConfigMap({ name: 'cellshift-inventory', namespace });
      expect(JSON.parse(inventory.data!.config)).toMatchObject({ revision: 1, digest: expect.stringMatching(/^sha256:/) });
      const view = await cell(id);
      expect(view.config).toMatchObject({ desired: 1, applied: 1 });
      for (const entry of view.history) if (entry.updateId) histories.push(JSON.stringify(await h.client.workflow.getHandle(updateWorkflowId(entry.updateId)).fetchHistory()));
      histories.push(JSON.stringify(await h.client.workflow.getHandle(cellWorkflowId(id)).fetchHistory()));
    }
    const all = histories.join('\n');
    for (const { domain } of Object.values(CELLS)) expect(all).not.toContain(domain);
    for (const id of Object.keys(CELLS)) expect(all).not.toContain(`${id}-workspaces`);
    expect(all).not.toContain('not-for-cellshift');
  });
});
