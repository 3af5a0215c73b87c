// One release, every customer's own values: a release declares what each cell configures, each
// cell's values are set by whom the release says (an operator, the cell's customer), rendered where
// the release is read, never carried by a workflow; a change of them is an update of its own, undone
// when it fails; a cell lacking what a release requires is held, before maintenance mode, naming it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellWorkflowId, updateWorkflowId } from '../src/workflows/ids';
import { Harness } from './helpers/harness';

const DOMAIN_A = 'acme-workspaces.example.com';
const DOMAIN_B = 'globex-workspaces.example.org';

const release = (version: string) => ({
  version,
  components: { server: `registry.example.com/product/server:${version}` },
  breaking: false,
  config: [
    { name: 'domain', type: 'string', setBy: 'customer', required: true, description: "the customer's own domain" },
    { name: 'replicas', type: 'number', setBy: 'operator', default: 2, maintenance: true },
    { name: 'tier', type: 'enum', setBy: 'operator', values: ['small', 'large'], default: 'small' },
    { name: 'bucket', type: 'string', setBy: 'stack', output: 'BucketName', required: true },
  ],
  manifests: [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { url: 'https://${{ config.domain }}/', bucket: '${{ config.bucket }}', tier: '${{ config.tier }}' } },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'server' }, spec: { replicas: '${{ config.replicas }}', selector: { matchLabels: { app: 'server' } }, template: { metadata: { labels: { app: 'server' } }, spec: { containers: [{ name: 'server', image: `registry.example.com/product/server:${version}` }] } } } },
  ],
});

describe('configuration per cell', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
    // The cells run 6.9.0, which takes no configuration; 7.0.0 takes some.
    const { config: _, manifests: __, ...plain } = release('6.9.0');
    for (const published of [plain, release('7.0.0')]) {
      expect((await h.http('POST', '/v1/releases', published)).status).toBe(201);
      for (const ring of ['staging', 'saas']) expect((await h.http('POST', `/v1/releases/${published.version}/promote`, { ring })).status).toBe(200);
    }
    for (const id of ['cfg-a', 'cfg-b']) await h.registerCell(id, { cluster: { kind: 'simulated', initialVersion: '6.9.0' }, stack: { kind: 'simulated', templateVersion: '1.0.0' } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const configOf = async (cellId: string) => (await h.http('GET', `/v1/cells/${cellId}/config`, undefined, 'viewer')).body;
  const historiesOf = async (...workflowIds: string[]) => (await Promise.all(workflowIds.map(async (id) => JSON.stringify(await h.client.workflow.getHandle(id).fetchHistory())))).join('\n');

  it('refuses at publish a reference to an item the release does not declare, naming where', async () => {
    const bad = { ...release('7.0.9'), manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 's' }, data: { a: '${{ config.hostname }}' } }] };
    const refused = await h.http('POST', '/v1/releases', bad);
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([{ field: 'body.manifests.0.data.a', reason: "refers to hostname, which the release's config does not declare" }]);
    expect((await h.http('GET', '/v1/releases/7.0.9')).status).toBe(404);
  });

  it('holds a cell that lacks a required item: the plans say so, preflight refuses before maintenance mode, a rollout holds it', async () => {
    const plan = await h.http('GET', '/v1/cells/cfg-a/plan?to=7.0.0', undefined, 'viewer');
    expect(plan.body.held.reason).toContain('domain (set by the customer; the cell has no value)');
    const rolloutPlan = await h.http('POST', '/v1/rollouts/plan', { version: '7.0.0', rings: ['saas'], waves: { maxConcurrent: 2 }, window: 'now' }, 'viewer');
    expect(rolloutPlan.body.rings[0].held.map((c: { id: string }) => c.id).sort()).toEqual(['cfg-a', 'cfg-b']);

    const accepted = await h.requestUpdate('cfg-a', { version: '7.0.0', window: 'now' });
    const done = await h.waitForUpdate(accepted.body.id);
    expect(done).toMatchObject({ status: 'failed', failedStep: 'preflight', error: expect.stringContaining('needs configuration the cell lacks: domain') });
    expect((await h.simulated.read('cfg-a')).log.some((e) => e.op === 'maintenance-on')).toBe(false);
    await h.waitForCellIdle('cfg-a');

    expect((await h.http('POST', '/v1/rollouts', { version: '7.0.0', rings: ['saas'], waves: { maxConcurrent: 2 }, window: 'now', bakeMinutes: 0 }, 'operator')).status).toBe(202);
    const rollout = await h.waitFor('the rollout to hold both cells', async () => {
      const got = (await h.http('GET', '/v1/rollouts/7.0.0', undefined, 'viewer')).body;
      return got?.rings?.[0]?.cells?.filter((c: { state: string }) => c.state === 'held').length === 2 ? got : undefined;
    });
    expect(rollout.rings[0].cells[0].error).toContain('lacks configuration release 7.0.0 requires: domain');
    expect(rollout.status).not.toBe('failed');
    expect((await h.simulated.read('cfg-b')).version).toBe('6.9.0');
  });

  it("a customer sets the items that are theirs on their own cell, and is refused the operator's and another cell's", async () => {
    const operatorItem = await h.http('PUT', '/v1/cells/cfg-a/config', { values: { domain: DOMAIN_A, replicas: 9 } }, 'configCustomer');
    expect(operatorItem.status).toBe(403);
    expect(operatorItem.headers.get('content-type')).toContain('application/problem+json');
    expect(operatorItem.body.detail).toContain('replicas is set by the operator');
    const otherCell = await h.http('PUT', '/v1/cells/cfg-b/config', { values: { domain: DOMAIN_A } }, 'configCustomer');
    expect(otherCell.status).toBe(403);
    const byOperator = await h.http('PUT', '/v1/cells/cfg-a/config', { values: { domain: 'operator.example.com' } }, 'operator');
    expect(byOperator.status).toBe(403);
    const wrongType = await h.http('PUT', '/v1/cells/cfg-a/config', { values: { replicas: 'many' } }, 'operator');
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errors).toEqual([{ field: 'body.values.replicas', reason: 'replicas is a number' }]);
    const stack = await h.http('PUT', '/v1/cells/cfg-a/config', { values: { bucket: 'mine' } }, 'operator');
    expect(stack.body.errors[0]).toMatchObject({ field: 'body.values.bucket', reason: expect.stringContaining('stack output BucketName') });
    // Nothing of the refused requests was kept.
    expect((await configOf('cfg-a')).revision).toBe(0);
    expect((await h.http('GET', '/v1/cells/cfg-a/config/changes', undefined, 'viewer')).body.changes).toEqual([]);

    expect((await h.http('PUT', '/v1/cells/cfg-b/config', { values: { replicas: 3, tier: 'large' } }, 'operator')).status).toBe(202);
  });

  it("once a held cell has its values it goes on to the rollout's release, each cell rendered with its own, and no value reaches a history", async () => {
    const set = await h.http('PUT', '/v1/cells/cfg-a/config', { values: { domain: DOMAIN_A } }, 'configCustomer');
    expect(set.status, JSON.stringify(set.body)).toBe(202);
    expect(set.body).toMatchObject({ revision: 1, changed: [{ item: 'domain', new: DOMAIN_A, by: 'cleo-customer' }] });
    // 6.9.0, which the cell runs, takes no configuration: the values wait for the release that does.
    expect(set.body.change).toContain('renders the same');
    expect((await h.http('GET', '/v1/cells/cfg-a/config', undefined, 'configCustomer')).body.items.find((i: { name: string }) => i.name === 'domain')).toMatchObject({ value: DOMAIN_A, source: 'cell' });
    expect((await h.http('PUT', '/v1/cells/cfg-b/config', { values: { domain: DOMAIN_B } }, 'configCustomerB')).status).toBe(202);

    // Held by the rollout for want of a domain, each cell now takes 7.0.0 by itself.
    const [a, b] = await Promise.all(
      ['cfg-a', 'cfg-b'].map((cellId) =>
        h.waitFor(`${cellId} on 7.0.0`, async () => {
          const cell = (await h.http('GET', `/v1/cells/${cellId}`)).body;
          return cell.version === '7.0.0' && !cell.currentUpdate ? cell : undefined;
        }, 90_000),
      ),
    );
    expect(a.config).toMatchObject({ desired: 1, applied: 1 });
    expect(b.config).toMatchObject({ desired: 2, applied: 2 });
    // Each cell runs the release rendered with its own values (the simulated cell records with which, and their digest).
    const simA = await h.simulated.read('cfg-a');
    const simB = await h.simulated.read('cfg-b');
    expect(simA.config?.revision).toBe(1);
    expect(simB.config?.revision).toBe(2);
    expect(simA.config?.digest).not.toBe(simB.config?.digest);
    const ids = [a, b].map((cell) => cell.history.at(-1).updateId as string);
    const histories = await historiesOf(...ids.map((id) => updateWorkflowId(id)), cellWorkflowId('cfg-a'), cellWorkflowId('cfg-b'));
    for (const value of [DOMAIN_A, DOMAIN_B, 'cfg-a-workspaces', 'cfg-b-workspaces']) expect(histories).not.toContain(value);
  });

  it('applies a change of configuration as an update of its own, in maintenance mode only for items that ask, and undoes one whose verify fails', async () => {
    const before = (await h.simulated.read('cfg-a')).config!;
    // tier does not ask for maintenance mode: a live change.
    const live = await h.http('PUT', '/v1/cells/cfg-a/config', { values: { tier: 'large' }, window: 'now' }, 'operator');
    expect(live.status).toBe(202);
    const changeId = await h.waitFor('the configuration change', async () => (await h.http('GET', '/v1/cells/cfg-a')).body.currentUpdate?.id);
    const changed = await h.waitForUpdate(changeId);
    expect(changed).toMatchObject({ status: 'succeeded', strategy: 'config', fromVersion: '7.0.0', toVersion: '7.0.0' });
    expect(changed.steps.find((s: { name: string }) => s.name === 'maintenanceOn')).toMatchObject({ status: 'skipped' });
    expect(changed.steps.find((s: { name: string }) => s.name === 'apply')).toMatchObject({ status: 'succeeded' });
    const after = (await h.simulated.read('cfg-a')).config!;
    expect(after.revision).toBe(live.body.revision);
    expect(after.digest).not.toBe(before.digest);
    const cell = await h.waitForCellIdle('cfg-a');
    expect(cell.config).toMatchObject({ desired: live.body.revision, applied: live.body.revision });
    expect(cell.history.at(-1)).toMatchObject({ strategy: 'config', result: 'succeeded' });

    // replicas asks for maintenance mode; its verify fails: undone, the cell back on what it ran, and not tried again.
    await h.http('PUT', '/v1/sim/cells/cfg-a/faults', { verify: { mode: 'fail' } });
    const failing = await h.http('PUT', '/v1/cells/cfg-a/config', { values: { replicas: 4 }, window: 'now' }, 'operator');
    const failingId = await h.waitFor('the second change', async () => {
      const current = (await h.http('GET', '/v1/cells/cfg-a')).body.currentUpdate?.id;
      return current && current !== changeId ? current : undefined;
    });
    const undone = await h.waitForUpdate(failingId);
    expect(undone).toMatchObject({ status: 'rolled-back', failedStep: 'verify' });
    expect(undone.steps.find((s: { name: string }) => s.name === 'maintenanceOn')).toMatchObject({ status: 'succeeded' });
    const sim = await h.simulated.read('cfg-a');
    expect(sim.config).toEqual(after);
    expect(sim.maintenance).toBe(false);
    const held = await h.waitForCellIdle('cfg-a');
    expect(held.config).toMatchObject({ desired: failing.body.revision, applied: live.body.revision, failed: { revision: failing.body.revision } });
    await h.http('PUT', '/v1/sim/cells/cfg-a/faults', {});

    // The change log: who, when, old and new.
    const { changes } = (await h.http('GET', '/v1/cells/cfg-a/config/changes', undefined, 'configCustomer')).body;
    expect(changes.map((c: { item: string; old?: unknown; new?: unknown; by: string }) => [c.item, c.old, c.new, c.by])).toEqual([
      ['replicas', undefined, 4, 'oscar-operator'],
      ['tier', undefined, 'large', 'oscar-operator'],
      ['domain', undefined, DOMAIN_A, 'cleo-customer'],
    ]);
  });

  it('registers a cell with its first values, checked as any change is', async () => {
    const body = (config: Record<string, unknown>) => ({ id: 'cfg-c', ring: 'saas', maintenanceWindow: { days: ['sat'], start: '02:00', durationMinutes: 120, timezone: 'UTC' }, cluster: { kind: 'simulated', initialVersion: '7.0.0' }, config });
    const customerItem = await h.http('POST', '/v1/cells', body({ domain: 'x.example.com' }));
    expect(customerItem.status).toBe(403);
    const unknown = await h.http('POST', '/v1/cells', body({ colour: 'blue' }));
    expect(unknown.body.errors).toEqual([{ field: 'body.config.colour', reason: 'no release cell cfg-c may run declares an item colour' }]);
    expect((await h.http('GET', '/v1/cells/cfg-c')).status).toBe(404);
    expect((await h.http('GET', '/v1/cells/cfg-c/config/changes')).status).toBe(404);
    const cell = await h.registerCell('cfg-c', { cluster: { kind: 'simulated', initialVersion: '7.0.0' }, config: { replicas: 5, tier: 'large' } });
    // The installation it adopts runs them: no change to apply.
    expect(cell.config).toMatchObject({ desired: 1, applied: 1 });
    expect(cell.currentUpdate).toBeUndefined();
    expect((await configOf('cfg-c')).items.find((i: { name: string }) => i.name === 'replicas')).toMatchObject({ value: 5, source: 'cell' });
  });

  it('refuses in preflight a reference to a Secret the cell does not hold, naming it', async () => {
    const withSecret = release('7.1.0');
    withSecret.config.push({ name: 'dbPassword', type: 'secret', setBy: 'operator' } as never);
    withSecret.manifests[0].data = { ...withSecret.manifests[0].data, password: '${{ config.dbPassword.name }}' } as never;
    expect((await h.http('POST', '/v1/releases', withSecret)).status).toBe(201);
    for (const ring of ['staging', 'saas']) await h.http('POST', '/v1/releases/7.1.0/promote', { ring });
    const refused = await h.http('PUT', '/v1/cells/cfg-b/config', { values: { dbPassword: 'hunter2' } }, 'operator');
    expect(refused.body.errors[0].reason).toContain('never its value');
    expect((await h.http('PUT', '/v1/cells/cfg-b/config', { values: { dbPassword: { secret: { name: 'globex-db', key: 'password' } } } }, 'operator')).status).toBe(202);
    await h.waitForCellIdle('cfg-b');
    const accepted = await h.requestUpdate('cfg-b', { version: '7.1.0', window: 'now' });
    const done = await h.waitForUpdate(accepted.body.id);
    expect(done).toMatchObject({ status: 'failed', failedStep: 'preflight', error: expect.stringContaining('Secrets the cell does not hold: globex-db (item dbPassword)') });
    expect((await h.simulated.read('cfg-b')).version).toBe('7.0.0');
  });
});
