// A cell reached through its agent: the control plane's worker holds no credentials for it (the
// cell names no kubeconfig); the agent, its own process with the test bed's kubeconfig, registers
// with a bootstrap token, polls the cell's task queue and runs every step of the first install, an
// update and a rollback.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAllYaml, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect, type KubeClients } from '../../src/adapters/kubernetes/connection';
import type { Release } from '../../src/domain/release';
import { updateWorkflowId } from '../../src/workflows/ids';
import { everyDay, Harness, utcClock } from '../helpers/harness';

const vendor = (file: string) => loadAllYaml(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'manifests', file), 'utf8')) as KubernetesObject[];
const INSTALL: Release = { version: '7.0.0', components: { nginx: 'nginx:1.14.2' }, breaking: false, manifests: vendor('nginx-upstream.yaml') as Release['manifests'] };
const UPDATE: Release = { version: '7.1.0', components: { nginx: 'nginx:1.27.3' }, breaking: false };

describe('a cell reached through its agent', () => {
  let h: Harness;
  let kube: KubeClients;
  let agent: ChildProcess | undefined;
  const kubeconfigPath = inject('kubeconfigPath');
  const image = async () => (await kube.apps.readNamespacedDeployment({ name: 'nginx-deployment', namespace: 'k8s-agent' })).spec!.template.spec!.containers[0].image;
  /** Who ran each activity of a workflow: the worker identities in its history. */
  const runners = async (workflowId: string) => {
    const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
    return new Set((history.events ?? []).flatMap((e) => (e.activityTaskStartedEventAttributes?.identity ? [e.activityTaskStartedEventAttributes.identity] : [])));
  };

  beforeAll(async () => {
    h = await Harness.start({ releases: [] });
    kube = connect({ kind: 'kubernetes', kubeconfig: { path: kubeconfigPath }, namespace: 'default' });
    for (const r of [INSTALL, UPDATE]) expect((await h.http('POST', '/v1/releases', r)).status).toBe(201);
    for (const ring of ['staging', 'saas']) expect((await h.http('POST', '/v1/releases/7.0.0/promote', { ring })).status).toBe(200);
  });
  afterAll(async () => {
    agent?.kill('SIGKILL');
    await h?.stop();
  });

  it('waits for its agent, then installs through it', async () => {
    const registered = await h.http('POST', '/v1/cells', {
      id: 'k8s-agent',
      ring: 'saas',
      connection: 'agent',
      cluster: { kind: 'kubernetes', namespace: 'k8s-agent' },
      maintenanceWindow: everyDay(utcClock(-60_000), 600),
      expectedUpdateMinutes: 5,
    });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    expect(registered.body).toMatchObject({ connection: 'agent', cluster: { kind: 'kubernetes', namespace: 'k8s-agent' } });
    // No agent yet: the cell waits for one to register, and nothing reaches the cluster.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await h.http('GET', '/v1/cells/k8s-agent')).body).toMatchObject({ state: 'awaiting-agent', agent: { status: 'never-seen', lastSeen: null } });

    agent = await h.spawnAgent('k8s-agent', ['--kubeconfig', kubeconfigPath]);
    const cell = await h.waitFor('installed through the agent', async () => {
      const res = await h.http('GET', '/v1/cells/k8s-agent');
      return res.body?.state === 'ready' && res.body.version === '7.0.0' ? res.body : undefined;
    }, 120_000);
    expect(await image()).toBe('nginx:1.14.2');
    // The agent registered with a bootstrap token (spawnAgent asks for one, as an operator would) and reported the cluster's version.
    expect(cell.agent).toMatchObject({ status: 'online', kubernetesVersion: expect.stringMatching(/^v1\.\d+/), capabilities: expect.arrayContaining(['cluster:kubernetes']) });
    const install = cell.history.at(-1).updateId;
    expect([...(await runners(updateWorkflowId(install)))].every((id) => id.startsWith('cell/k8s-agent/'))).toBe(true);
  });

  it('updates and rolls back through the agent; the control plane runs none of its steps', async () => {
    for (const ring of ['staging', 'saas']) expect((await h.http('POST', '/v1/releases/7.1.0/promote', { ring })).status).toBe(200);
    const accepted = await h.requestUpdate('k8s-agent', { version: '7.1.0', window: 'now' });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    const done = await h.waitForUpdate(accepted.body.id, undefined, 120_000);
    expect(done.status, done.error).toBe('succeeded');
    expect(await image()).toBe('nginx:1.27.3');
    const identities = await runners(updateWorkflowId(accepted.body.id));
    expect(identities.size).toBe(1);
    expect([...identities][0]).toMatch(/^cell\/k8s-agent\/[^/]+\/.+/);
    await h.waitForCellIdle('k8s-agent');

    const rollback = await h.http('POST', '/v1/cells/k8s-agent/rollback', {}, 'operator');
    expect(rollback.status, JSON.stringify(rollback.body)).toBe(202);
    const back = await h.waitForUpdate(rollback.body.id, undefined, 120_000);
    expect(back.status, back.error).toBe('succeeded');
    expect(await image()).toBe('nginx:1.14.2');
    expect([...(await runners(updateWorkflowId(rollback.body.id)))].every((id) => id.startsWith('cell/k8s-agent/'))).toBe(true);
  });
});
