// One customer can never reach another's cell. Holding cell A's agent credential (its key and
// certificate, as a compromised cell would leak them), an attacker with Temporal's own client tries
// everything against cell B and the control plane through the agent endpoint: every attempt is
// refused and nothing in B changes, while A's own update succeeds. An expired credential is
// refused, and a removed cell's agent within seconds.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { SUPPORT_BUNDLE_UPLOAD_PATH } from '../src/domain/agent-endpoint';
import { DbSupportBundleBlobs } from '../src/adapters/bundles/support-bundle-blobs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyAndCsr } from '../src/crypto/agent-ca';
import { cellWorkflowId, updateWorkflowId } from '../src/workflows/ids';
import { cellStatusQuery, checkNowSignal, maintenanceSwitchedSignal, requestUpdate, rolloutCellSignal } from '../src/workflows/messages';
import { Harness } from './helpers/harness';

const PERMISSION_DENIED = 7;
const UNAUTHENTICATED = 16;
const UNAVAILABLE = 14;

/** The grpc status an attempt was refused with (the SDK wraps it in one or two errors). */
async function refusal(attempt: Promise<unknown> | (() => Promise<unknown>)): Promise<number> {
  try {
    await (typeof attempt === 'function' ? attempt() : attempt);
  } catch (err) {
    for (let e: any = err; e; e = e.cause) if (typeof e.code === 'number') return e.code;
    throw err;
  }
  throw new Error('the attempt was not refused');
}

describe("a cell's agent credential reaches its own cell only", () => {
  let h: Harness;
  const agents: ChildProcess[] = [];
  let attacker: Connection;
  let asA: Client;

  /** The credential an agent keeps beside itself: what leaks when its cell is compromised. */
  const stolen = (cellId: string) => {
    const state = JSON.parse(readFileSync(join(h.dataDir, `agent-${cellId}.json`), 'utf8')) as { privateKey: string; certificate: string; caCertificate: string };
    return { crt: Buffer.from(state.certificate), key: Buffer.from(state.privateKey), ca: Buffer.from(state.caCertificate) };
  };
  const through = async (credential: { crt: Buffer; key: Buffer; ca: Buffer }) =>
    Connection.connect({ address: `127.0.0.1:${h.endpoint.port}`, tls: { serverRootCACertificate: credential.ca, clientCertPair: { crt: credential.crt, key: credential.key } }, connectTimeout: 5_000 });

  beforeAll(async () => {
    h = await Harness.start();
    for (const id of ['iso-a', 'iso-b']) agents.push((await h.registerAgentCell(id)).agent);
    attacker = await through(stolen('iso-a'));
    asA = new Client({ connection: attacker });
  });
  afterAll(async () => {
    for (const agent of agents) await h.kill(agent);
    await attacker?.close();
    await h?.stop();
  });

  it('refuses, through the endpoint, every call but its own queue: start, signal, update, query, terminate, list, describe, history, other queues, *ById', async () => {
    const service = attacker.workflowService;
    const ws = proto.temporal.api.workflowservice.v1;
    const before = await h.client.workflow.getHandle(cellWorkflowId('iso-b')).query(cellStatusQuery);

    // The attack the issue describes: an update of B with a release no vendor published.
    const forged = { id: 'iso-b-u99', cellId: 'iso-b', cluster: { kind: 'simulated' }, connection: 'agent', strategy: 'maintenance-window', toVersion: '6.6.6', window: 'now', release: { version: '6.6.6', components: { server: 'registry.example.com/not-from-the-vendor:6.6.6' } } };
    const attempts: [string, () => Promise<unknown>][] = [
      ['start', () => asA.workflow.start('maintenanceWindowUpdate', { taskQueue: h.taskQueue, workflowId: 'update/iso-b/u99', args: [forged] })],
      ['start on the cell queue', () => asA.workflow.start('maintenanceWindowUpdate', { taskQueue: 'cell/iso-b', workflowId: 'update/iso-b/u98', args: [forged] })],
      ['signal', () => asA.workflow.getHandle(cellWorkflowId('iso-b')).signal(checkNowSignal)],
      // The signals a rollout and an update send a controller: a forged rollout request, a forged maintenance switch.
      ['signal as a rollout', () => asA.workflow.getHandle(cellWorkflowId('iso-b')).signal(rolloutCellSignal, { rolloutId: '6.6.6', run: 'forged', version: '6.6.6', requestedBy: 'attacker', window: 'now' })],
      ['signal as an update', () => asA.workflow.getHandle(cellWorkflowId('iso-b')).signal(maintenanceSwitchedSignal, { updateId: 'iso-b-u99', enabled: true })],
      ['update', () => asA.workflow.getHandle(cellWorkflowId('iso-b')).executeUpdate(requestUpdate, { args: [{ version: '1.2.0', window: 'now', requestedBy: 'attacker' }] })],
      ['query', () => asA.workflow.getHandle(cellWorkflowId('iso-b')).query(cellStatusQuery)],
      ['terminate', () => asA.workflow.getHandle(cellWorkflowId('iso-b')).terminate('mine now')],
      ['cancel', () => asA.workflow.getHandle(cellWorkflowId('iso-b')).cancel()],
      ['describe', () => asA.workflow.getHandle(cellWorkflowId('iso-b')).describe()],
      ['history', () => asA.workflow.getHandle(cellWorkflowId('iso-a')).fetchHistory()],
      ['list', () => asA.workflow.list({ query: "WorkflowType = 'cellController'" })[Symbol.asyncIterator]().next()],
      ['count', () => asA.workflow.count()],
      ['reset', () => service.resetWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: cellWorkflowId('iso-b') }, reason: 'x', requestId: 'r' })],
      ['poll B', () => service.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: 'cell/iso-b' }, identity: 'cell/iso-b/x/y' })],
      ['poll the control plane', () => service.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: h.taskQueue }, identity: 'x' })],
      ['poll workflow tasks', () => service.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: h.taskQueue }, identity: 'x' })],
      ['poll sticky', () => service.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: 'cell/iso-a', kind: proto.temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_STICKY }, identity: 'x' })],
      ['complete by id', () => service.respondActivityTaskCompletedById({ namespace: 'default', workflowId: updateWorkflowId('iso-b-u1'), activityId: '1' })],
      ['fail by id', () => service.respondActivityTaskFailedById({ namespace: 'default', workflowId: updateWorkflowId('iso-b-u1'), activityId: '1' })],
      ['heartbeat by id', () => service.recordActivityTaskHeartbeatById({ namespace: 'default', workflowId: updateWorkflowId('iso-b-u1'), activityId: '1' })],
      ['cancel by id', () => service.respondActivityTaskCanceledById({ namespace: 'default', workflowId: updateWorkflowId('iso-b-u1'), activityId: '1' })],
      ['a forged token', () => service.respondActivityTaskCompleted({ namespace: 'default', taskToken: ws.PollActivityTaskQueueResponse.encode({}).finish(), identity: 'x' })],
      ['operator: search attributes', () => attacker.operatorService.listSearchAttributes({ namespace: 'default' })],
      ['operator: delete namespace', () => attacker.operatorService.deleteNamespace({ namespace: 'default' })],
    ];
    for (const [what, attempt] of attempts) expect(await refusal(attempt), what).toBe(PERMISSION_DENIED);

    // Nothing of it reached B: no forged update, B's controller as it was.
    await expect(h.client.workflow.getHandle('update/iso-b/u99').describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    await expect(h.client.workflow.getHandle('update/iso-b/u98').describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    const after = await h.client.workflow.getHandle(cellWorkflowId('iso-b')).query(cellStatusQuery);
    expect(after).toMatchObject({ state: before.state, version: before.version, history: before.history, maintenance: before.maintenance });
    expect(after.desiredVersion).toBe(before.desiredVersion);
    expect(after.rollout).toBeUndefined();
    expect((await h.client.workflow.getHandle(cellWorkflowId('iso-b')).describe()).status.name).toBe('RUNNING');

    // A poll of A's own queue goes through, as the cell the credential names, whatever the agent calls itself.
    await attacker.withDeadline(Date.now() + 5_000, () => service.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: 'cell/iso-a' }, identity: 'cell/iso-b/9.9.9/evil' })).catch(() => undefined); // the long poll ends empty
    const pollers = async (queue: string) => ((await h.client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: queue }, taskQueueType: 2 })).pollers ?? []).map((p) => p.identity);
    expect(await pollers('cell/iso-a')).toContain('cell/iso-a/9.9.9/evil');
    expect(await pollers('cell/iso-b')).not.toContain('cell/iso-b/9.9.9/evil');

    // A's own work goes on: its update succeeds through its own agent.
    const own = await h.requestUpdate('iso-a', { version: '1.2.0', window: 'now' });
    expect((await h.waitForUpdate(own.body.id)).status).toBe('succeeded');
  });

  it("refuses an answer for a task handed to B, and B's update runs only on B's agent", async () => {
    // B's agent away: B's next task waits on its queue; we take it as B's agent would (B's credential).
    await h.kill(agents[1]);
    const accepted = await h.requestUpdate('iso-b', { version: '1.2.0', window: 'now' });
    const asB = await through(stolen('iso-b'));
    let task: proto.temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse = {};
    for (let i = 0; i < 10 && !task.taskToken?.length; i++) task = await asB.workflowService.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: 'cell/iso-b' }, identity: 'cell/iso-b/x/y' });
    expect(task.taskToken?.length).toBeGreaterThan(0);
    expect(task.activityType?.name).toBe('preflight');

    // With A's credential, B's token is refused, however it is presented.
    const token = task.taskToken!;
    for (const attempt of [
      attacker.workflowService.respondActivityTaskCompleted({ namespace: 'default', taskToken: token, identity: 'x' }),
      attacker.workflowService.respondActivityTaskFailed({ namespace: 'default', taskToken: token, identity: 'x', failure: { message: 'forged' } }),
      attacker.workflowService.recordActivityTaskHeartbeat({ namespace: 'default', taskToken: token, identity: 'x' }),
      attacker.workflowService.respondActivityTaskCanceled({ namespace: 'default', taskToken: token, identity: 'x' }),
      attacker.workflowService.respondActivityTaskCompleted({ namespace: 'default', taskToken: token.subarray(33), identity: 'x' }), // the server's own token, unwrapped
    ]) {
      expect(await refusal(attempt)).toBe(PERMISSION_DENIED);
    }
    await asB.close();

    // B's own agent, back, runs the step again once the taken one times out: the update succeeds on B's cluster alone.
    agents[1] = await h.spawnAgent('iso-b');
    const done = await h.waitForUpdate(accepted.body.id, undefined, 120_000);
    expect(done.status).toBe('succeeded');
    expect(done.steps.find((s: any) => s.name === 'preflight').attempts).toBe(2);
    expect((await h.simulated.read('iso-b')).version).toBe('1.2.0');
  });

  it("cannot upload a support bundle into B, nor one of its own that is not being collected", async () => {
    const credential = stolen('iso-a');
    const channel = new grpc.Client(`127.0.0.1:${h.endpoint.port}`, grpc.credentials.createSsl(credential.ca, credential.key, credential.crt));
    const upload = (bundleId: string) =>
      new Promise<void>((resolve, reject) => {
        const data = Buffer.from('not a bundle anyone asked for');
        const metadata = new grpc.Metadata();
        metadata.set('bundle-id', bundleId);
        metadata.set('digest', `sha256:${createHash('sha256').update(data).digest('hex')}`);
        metadata.set('bytes', String(data.length));
        const stream = channel.makeClientStreamRequest(SUPPORT_BUNDLE_UPLOAD_PATH, (b: Buffer) => b, (b: Buffer) => b, metadata, {}, (err) => (err ? reject(err) : resolve()));
        stream.write(data);
        stream.end();
      });
    try {
      expect(await refusal(upload('iso-b/1'))).toBe(PERMISSION_DENIED);
      expect(await refusal(upload('iso-a/1'))).toBe(PERMISSION_DENIED);
    } finally {
      channel.close();
    }
    // Nothing was kept, for either cell.
    const blobs = new DbSupportBundleBlobs(h.db);
    for (const id of ['iso-b/1', 'iso-a/1']) expect(await blobs.get(id)).toBeUndefined();
    expect((await h.http('GET', '/v1/cells/iso-b/support-bundles', undefined, 'operator')).body.supportBundles).toEqual([]);
  });

  it('refuses an expired credential and a revoked one; a removed cell is cut off within seconds', async () => {
    // A credential of A's that ended an hour ago (issued as the CA would have, then).
    const { privateKeyPem, csrPem } = await createKeyAndCsr('iso-a');
    const old = await h.agentCredentials.issue('iso-a', csrPem, 'renewal', new Date(Date.now() - 2 * 3_600_000));
    // Refused at the TLS handshake (the connection never comes up), or at the first call.
    const expired = await through({ crt: Buffer.from(old.certificatePem), key: Buffer.from(privateKeyPem), ca: stolen('iso-a').ca })
      .then((c) => refusal(c.workflowService.getSystemInfo({})))
      .catch((err: Error) => err.message);
    expect([UNAUTHENTICATED, UNAVAILABLE, 'Failed to connect before the deadline']).toContain(expired);

    // A removed: its agent's long poll is ended and every call refused within seconds.
    const poll = attacker.workflowService.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: 'cell/iso-a' }, identity: 'cell/iso-a/x/y' });
    const removedAt = Date.now();
    expect((await h.http('DELETE', '/v1/cells/iso-a')).status).toBe(202);
    expect(await refusal(poll)).toBe(UNAUTHENTICATED);
    expect(Date.now() - removedAt).toBeLessThan(10_000);
    expect(await refusal(attacker.workflowService.getSystemInfo({}))).toBe(UNAUTHENTICATED);
    // B is untouched by it.
    expect((await h.http('GET', '/v1/cells/iso-b')).body.state).toBe('ready');
  });
});
