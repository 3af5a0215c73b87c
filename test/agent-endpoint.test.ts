// The agent endpoint under the faults a fleet meets: an agent's credential renewed (a new key and
// certificate) in the middle of a long image pull, which keeps running; the endpoint SIGKILLed in
// the middle of an apply and started again, after which the agent reconnects and the update ends
// once, maintenance off.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../scripts/lib/dev-server';
import { Harness } from './helpers/harness';

const serialOf = (h: Harness, cellId: string) => new X509Certificate((JSON.parse(readFileSync(join(h.dataDir, `agent-${cellId}.json`), 'utf8')) as { certificate: string }).certificate).serialNumber;

describe('the agent endpoint', () => {
  let h: Harness | undefined;
  const processes: ChildProcess[] = [];
  afterEach(async () => {
    for (const p of processes.splice(0)) await h?.kill(p);
    await h?.stop();
    h = undefined;
  });

  it('renews an agent credential over its connection in the middle of a long pull: the pull goes on', { timeout: 180_000 }, async () => {
    // Certificates of 15 s, renewed at 10 s: a 35 s pull outlives three of them.
    h = await Harness.start({ agentCredentialMinutes: 0.25 });
    const { agent } = await h.registerAgentCell('renewing');
    processes.push(agent);
    const first = serialOf(h, 'renewing');
    await h.http('PUT', '/v1/sim/cells/renewing/faults', { pull: { mode: 'none', latencyMs: 35_000 } });
    const accepted = await h.requestUpdate('renewing', { version: '1.2.0', window: 'now' });
    const done = await h.waitForUpdate(accepted.body.id, undefined, 120_000);
    expect(done.status).toBe('succeeded');
    expect(done.steps.find((s: any) => s.name === 'pull')).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(serialOf(h, 'renewing')).not.toBe(first);
    const issued = await h.db.selectFrom('agent_credentials').select(['serial', 'issued_for']).where('cell_id', '=', 'renewing').execute();
    expect(issued.filter((c) => c.issued_for === 'renewal').length).toBeGreaterThanOrEqual(3);
    expect((await h.simulated.read('renewing')).version).toBe('1.2.0');
  });

  it('SIGKILLed in the middle of an apply and started again: the agent reconnects, the update ends once, maintenance off', { timeout: 180_000 }, async () => {
    const port = await freePort();
    h = await Harness.start({ agentEndpointAddress: `127.0.0.1:${port}` });
    let endpoint = h.spawnAgentEndpoint(port);
    processes.push(endpoint);
    const { agent } = await h.registerAgentCell('endpoint-crash');
    processes.push(agent);
    await h.http('PUT', '/v1/sim/cells/endpoint-crash/faults', { apply: { mode: 'none', latencyMs: 8_000 } });
    const accepted = await h.requestUpdate('endpoint-crash', { version: '1.2.0', window: 'now' });
    await h.waitForStep(accepted.body.id, 'apply');

    await h.kill(endpoint);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    endpoint = h.spawnAgentEndpoint(port);
    processes.push(endpoint);

    const done = await h.waitForUpdate(accepted.body.id, undefined, 120_000);
    expect(done.status).toBe('succeeded');
    const sim = await h.simulated.read('endpoint-crash');
    expect(sim).toMatchObject({ version: '1.2.0', maintenance: false });
    expect(sim.log.filter((e) => e.op === 'apply')).toHaveLength(1);
    expect((await h.waitForCellIdle('endpoint-crash')).maintenance.enabled).toBe(false);
  });
});
