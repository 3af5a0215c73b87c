// An agent cell's stack is reached through its agent too: registration reads the stack there, and
// an infrastructure update prepares and applies its change set there (the stack's credentials stay
// in the cell); the control plane only keeps the deadline and tells the contacts.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedStack } from '../src/adapters/simulated/stack';
import { infraWorkflowId } from '../src/workflows/ids';
import { Harness } from './helpers/harness';

describe("an agent cell's infrastructure update", () => {
  let h: Harness;
  let agent: ChildProcess | undefined;
  beforeAll(async () => {
    h = await Harness.start();
    agent = (await h.registerAgentCell('infra-agent', { stack: { kind: 'simulated', templateVersion: '1' }, infraApply: true })).agent;
  });
  afterAll(async () => {
    if (agent) await h.kill(agent);
    await h?.stop();
  });

  it('prepares and applies the change set through the agent', async () => {
    const published = await h.http('POST', '/v1/cells/infra-agent/infra-updates', { templateVersion: '2', templateUrl: 'https://templates.example/v2.yaml' }, 'operator');
    expect(published.status, JSON.stringify(published.body)).toBe(202);
    const progress = async () => (await h.http('GET', '/v1/cells/infra-agent/infra-updates/2', undefined, 'viewer')).body;
    await h.waitFor('change set prepared', async () => ((await progress()).status === 'waiting' ? true : undefined));
    expect((await h.http('POST', '/v1/cells/infra-agent/infra-updates/2/apply', undefined, 'operator')).status).toBe(202);
    await h.waitFor('applied', async () => ((await progress()).status === 'applied' ? true : undefined));
    expect((await new SimulatedStack(h.dataDir).read('infra-agent')).templateVersion).toBe('2');

    // Every stack step ran on the agent; only the notifications on the control plane's worker.
    const history = await h.client.workflow.getHandle(infraWorkflowId('infra-agent', '2')).fetchHistory();
    const scheduled = (history.events ?? []).flatMap((e) => {
      const a = e.activityTaskScheduledEventAttributes;
      return a ? [`${a.activityType?.name}@${a.taskQueue?.name}`] : [];
    });
    expect(scheduled.filter((s) => !s.startsWith('notifyContacts'))).toEqual(
      expect.arrayContaining(['prepareInfraChangeSet@cell/infra-agent', 'executeInfraChangeSet@cell/infra-agent', 'waitForStackUpdate@cell/infra-agent']),
    );
    expect(scheduled.filter((s) => !s.startsWith('notifyContacts')).every((s) => s.endsWith('@cell/infra-agent'))).toBe(true);
    expect(scheduled.filter((s) => s.startsWith('notifyContacts')).every((s) => s.endsWith(`@${h.taskQueue}`))).toBe(true);
  });
});
