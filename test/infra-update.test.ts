import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedStack } from '../src/adapters/simulated/stack';
import { Harness } from './helpers/harness';

describe('infrastructure updates over the API', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h?.stop());

  const progress = async (cellId: string, tv: string) => (await h.http('GET', `/v1/cells/${cellId}/infra-updates/${tv}`, undefined, 'viewer')).body;

  it('a failed stack update is reported with its reasons, the stack stays, and a corrected apply succeeds', async () => {
    await h.registerCell('infra-fail', { stack: { kind: 'simulated', templateVersion: '1' }, infraApply: true });
    const published = await h.http('POST', '/v1/cells/infra-fail/infra-updates', { templateVersion: '2', templateUrl: 'https://templates.example/v2.yaml' }, 'operator');
    expect(published.status).toBe(202);
    expect(published.body.id).toBe('infra-fail/2');
    expect(Date.parse(published.body.deadline) - Date.now()).toBeGreaterThan(13.9 * 24 * 3600_000);

    const waiting = await h.waitFor('waiting', async () => ((await progress('infra-fail', '2')).status === 'waiting' ? progress('infra-fail', '2') : undefined));
    expect(waiting.changes.length).toBeGreaterThan(0);
    const cell = (await h.http('GET', '/v1/cells/infra-fail')).body;
    expect(cell).toMatchObject({ sla: 'in-sla', infraUpdates: [expect.objectContaining({ templateVersion: '2', sla: 'in-sla' })] });

    expect((await h.http('PUT', '/v1/sim/cells/infra-fail/stack-faults', { update: { mode: 'fail-times', times: 1 } })).status).toBe(200);
    expect((await h.http('POST', '/v1/cells/infra-fail/infra-updates/2/apply', undefined, 'operator')).status).toBe(202);
    const failed = await h.waitFor('a failed attempt', async () => {
      const p = await progress('infra-fail', '2');
      return p.attempts.length === 1 && p.status === 'waiting' ? p : undefined;
    });
    expect(failed.attempts[0]).toMatchObject({ result: 'failed', by: 'oscar-operator' });
    expect(failed.attempts[0].error).toContain('UPDATE_ROLLBACK_COMPLETE');
    expect(failed.attempts[0].error).toContain('LaunchTemplate');
    expect((await h.http('GET', '/v1/cells/infra-fail')).body.infraUpdates).toHaveLength(1);
    expect((await new SimulatedStack(h.dataDir).read('infra-fail')).templateVersion).toBe('1');

    expect((await h.http('POST', '/v1/cells/infra-fail/infra-updates/2/apply', undefined, 'operator')).status).toBe(202);
    await h.waitFor('applied', async () => ((await progress('infra-fail', '2')).status === 'applied' ? true : undefined));
    const done = await progress('infra-fail', '2');
    expect(done).toMatchObject({ appliedBy: 'cellshift', sla: 'in-sla' });
    expect(done.attempts.map((a: any) => a.result)).toEqual(['failed', 'applied']);
    await h.waitFor('cleared on the cell', async () => ((await h.http('GET', '/v1/cells/infra-fail')).body.infraUpdates.length === 0 ? true : undefined));

    const kinds = readFileSync(join(h.dataDir, 'notifications.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).kind);
    expect(kinds).toEqual(['infra-update-published', 'infra-update-failed', 'infra-update-applied']);
    expect((await h.http('POST', '/v1/cells/infra-fail/infra-updates/2/apply', undefined, 'operator')).status).toBe(409);
  });

  it('notices when the customer ran the template, and refuses apply where cellshift may not', async () => {
    await h.registerCell('infra-customer', { stack: { kind: 'simulated', templateVersion: '1' } });
    await h.http('POST', '/v1/cells/infra-customer/infra-updates', { templateVersion: '2', templateUrl: 'https://templates.example/v2.yaml' }, 'operator');
    await h.waitFor('waiting', async () => ((await progress('infra-customer', '2')).status === 'waiting' ? true : undefined));
    const refused = await h.http('POST', '/v1/cells/infra-customer/infra-updates/2/apply', undefined, 'operator');
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain('applies infrastructure updates itself');

    expect((await h.http('POST', '/v1/sim/cells/infra-customer/stack/customer-apply', { templateVersion: '2' })).status).toBe(200);
    expect((await h.http('POST', '/v1/cells/infra-customer/infra-updates/2/check', undefined, 'operator')).status).toBe(202);
    await h.waitFor('applied by the customer', async () => ((await progress('infra-customer', '2')).appliedBy === 'customer' ? true : undefined));
  });

  it('validates', async () => {
    await h.registerCell('infra-none');
    const noStack = await h.http('POST', '/v1/cells/infra-none/infra-updates', { templateVersion: '2', templateUrl: 'https://t.example/v2.yaml' }, 'operator');
    expect(noStack.status).toBe(409);
    expect(noStack.body.detail).toContain('has no AWS stack');
    const bad = await h.http('POST', '/v1/cells/infra-none/infra-updates', { templateVersion: '', templateUrl: 'ftp://x' }, 'operator');
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.field)).toEqual(expect.arrayContaining(['body.templateVersion', 'body.templateUrl']));
    const awsBad = await h.http('POST', '/v1/cells', {
      id: 'aws-bad',
      ring: 'saas',
      maintenanceWindow: { days: ['mon'], start: '02:00', durationMinutes: 60, timezone: 'UTC' },
      cluster: { kind: 'simulated' },
      stack: { kind: 'aws', region: 'mars', stackName: 'x', secretAccessKey: 'nope' },
    });
    expect(awsBad.status).toBe(400);
  });
});
