import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { ruleProblem } from '../../domain/support-bundle/redact';
import type { SupportBundleRecord } from '../../domain/support-bundle/bundle';
import { startSupportBundle, supportBundleOf } from '../../workflows/support-bundle/client';
import { decideSupportBundle, deleteSupportBundle } from '../../workflows/support-bundle/messages';
import { sendCommand } from '../http/commands';
import { badRequest, HttpProblem, notFound } from '../http/problem';
import { CellParams } from '../schemas/cells';
import { UpdateParams } from '../schemas/updates';
import { problems } from '../schemas/common';
import { DecideBundleBody, RequestBundleBody, SupportBundle, SupportBundleList, SupportBundleParams, SupportBundlePolicy, SupportBundlePolicyBody } from '../schemas/support-bundles';
import { readCell } from './read-views';

/** A record as the API shows it: findings first, and where to download it while it is kept. */
function shown(record: SupportBundleRecord) {
  const { findings, workflowId: _w, ...rest } = record;
  return { ...(findings ? { findings } : {}), ...rest, ...(record.status === 'collected' ? { download: `/v1/cells/${record.cellId}/support-bundles/${record.n}/download` } : {}) };
}

async function bundle(app: FastifyInstance, cellId: string, n: number): Promise<SupportBundleRecord> {
  const record = await app.supportBundles.get(`${cellId}/${n}`);
  if (!record) throw notFound(`support bundle ${cellId}/${n}`);
  return record;
}

/**
 * Support bundles: evidence collected inside a cell, redacted there, with its customer's consent.
 * The customer sets what is allowed (with the cell's customer token); operators ask; both read,
 * download and delete.
 */
const supportBundles: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/cells/:cellId/support-bundle-policy',
    { config: { role: 'viewer', customers: true }, schema: { summary: "What the cell's customer allows of support bundles", params: CellParams, response: { 200: SupportBundlePolicy, ...problems(401, 403, 404) } } },
    async (request) => {
      await readCell(app, request.params.cellId);
      return app.supportBundles.policy(request.params.cellId);
    },
  );

  app.put(
    '/v1/cells/:cellId/support-bundle-policy',
    {
      config: { role: 'admin', customers: true },
      schema: { summary: "Set what may be collected from the cell (only the cell's customer token)", params: CellParams, body: SupportBundlePolicyBody, response: { 200: SupportBundlePolicy, ...problems(400, 401, 403, 404) } },
    },
    async (request) => {
      const { cellId } = request.params;
      if (request.role !== 'customer') throw new HttpProblem(403, 'Forbidden', `only the customer of ${cellId} decides what may be collected from it`);
      const redactions = request.body.redactions ?? [];
      const problemsFound = redactions.flatMap((rule, i) => {
        const problem = ruleProblem(rule);
        return problem ? [{ field: `body.redactions.${i}.${problem.split(':')[0]}`, reason: problem }] : [];
      });
      if (problemsFound.length > 0) throw badRequest(problemsFound);
      await readCell(app, cellId);
      const { requests, onUpdateFailure, retentionDays, signature } = request.body;
      await app.supportBundles.setPolicy(cellId, { requests, onUpdateFailure, retentionDays: retentionDays ?? 30, redactions, ...(signature ? { signature } : {}) }, request.subject);
      return app.supportBundles.policy(cellId);
    },
  );

  app.post(
    '/v1/cells/:cellId/support-bundles',
    {
      config: { role: 'operator' },
      schema: { summary: "Ask for a support bundle of the cell: collected in the cell if its customer allows (or approves)", params: CellParams, body: RequestBundleBody, response: { 202: SupportBundle, ...problems(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      const view = await readCell(app, request.params.cellId);
      const { spec } = view;
      const { record } = await startSupportBundle(app.temporal, app.taskQueue, {
        cellId: spec.id,
        target: { cellId: spec.id, cluster: spec.cluster, ...(spec.connection === 'agent' ? { connection: 'agent' as const } : {}) },
        ...(spec.agentWaitSeconds ? { agentWaitSeconds: spec.agentWaitSeconds } : {}),
        trigger: 'operator',
        requestedBy: request.subject,
        ...(view.version ? { version: view.version } : {}),
        ...(request.body?.reason ? { reason: request.body.reason } : {}),
      });
      return reply.status(202).header('location', `/v1/cells/${spec.id}/support-bundles/${record.n}`).send(shown(record));
    },
  );

  app.get(
    '/v1/cells/:cellId/support-bundles',
    { config: { role: 'viewer', customers: true }, schema: { summary: "The cell's support bundles, newest first", params: CellParams, response: { 200: SupportBundleList, ...problems(401, 403, 404) } } },
    async (request) => ({ supportBundles: (await app.supportBundles.list(request.params.cellId)).map(shown) }),
  );

  app.get(
    '/v1/cells/:cellId/support-bundles/:n',
    { config: { role: 'viewer', customers: true }, schema: { summary: 'A support bundle: its findings first, then what it holds', params: SupportBundleParams, response: { 200: SupportBundle, ...problems(401, 403, 404) } } },
    async (request) => shown(await bundle(app, request.params.cellId, request.params.n)),
  );

  // Where a failed update's webhook event points: its bundle, once the controller has asked for one.
  app.get(
    '/v1/updates/:updateId/support-bundle',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'The support bundle asked for when this update failed or was rolled back: a redirect to it',
        params: UpdateParams,
        response: { 303: { description: "the bundle's record (Location)", type: 'null' }, ...problems(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const record = await app.supportBundles.ofUpdate(request.params.updateId);
      if (!record) throw new HttpProblem(404, 'Not found', `update ${request.params.updateId} has no support bundle (one is asked for when an update fails or is rolled back; the cell's customer decides whether it is collected)`);
      return reply.status(303).header('location', `/v1/cells/${record.cellId}/support-bundles/${record.n}`).send(null);
    },
  );

  app.get(
    '/v1/cells/:cellId/support-bundles/:n/download',
    {
      config: { role: 'operator', customers: true },
      schema: {
        summary: 'The bundle itself, a gzipped tar (operators and the cell’s customer)',
        params: SupportBundleParams,
        response: { 200: { description: 'the bundle: a gzipped tar, findings.json and manifest.json first', content: { 'application/gzip': { schema: { type: 'string', format: 'binary' } } } }, ...problems(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const record = await bundle(app, request.params.cellId, request.params.n);
      if (record.status !== 'collected') throw new HttpProblem(409, 'Conflict', `support bundle ${record.id} is ${record.status}: there is nothing to download`);
      const data = await app.supportBundleBlobs.get(record.id);
      if (!data) throw new HttpProblem(409, 'Conflict', `support bundle ${record.id} has no bytes in the store (${app.supportBundleBlobs.location})`);
      return reply
        .header('content-type', 'application/gzip')
        .header('content-disposition', `attachment; filename="support-bundle-${record.cellId}-${record.n}.tar.gz"`)
        .header('digest', `sha-256=${Buffer.from(record.digest!.replace('sha256:', ''), 'hex').toString('base64')}`)
        // The type provider takes `format: binary` for a string; the bytes go out as they are.
        .send(Buffer.from(data) as unknown as string);
    },
  );

  app.post(
    '/v1/cells/:cellId/support-bundles/:n/decide',
    {
      config: { role: 'admin', customers: true },
      schema: { summary: "The customer's decision on an operator's request (only the cell's customer token)", params: SupportBundleParams, body: DecideBundleBody, response: { 200: SupportBundle, ...problems(400, 401, 403, 404, 409) } },
    },
    async (request) => {
      const record = await bundle(app, request.params.cellId, request.params.n);
      if (request.role !== 'customer') throw new HttpProblem(403, 'Forbidden', `only the customer of ${record.cellId} decides what is collected from it`);
      const handle = supportBundleOf(app.temporal, record.workflowId);
      const { decision, reason, signature } = request.body;
      await sendCommand(handle, decideSupportBundle, [{ approve: decision === 'approve', by: request.subject, ...(reason ? { reason } : {}), ...(signature ? { signature } : {}) }], `support bundle ${record.id}`, 'decide');
      return shown(await waitForChange(app, record));
    },
  );

  app.delete(
    '/v1/cells/:cellId/support-bundles/:n',
    { config: { role: 'operator', customers: true }, schema: { summary: 'Delete the bundle now (its record stays)', params: SupportBundleParams, response: { 200: SupportBundle, ...problems(401, 403, 404, 409) } } },
    async (request) => {
      const record = await bundle(app, request.params.cellId, request.params.n);
      await sendCommand(supportBundleOf(app.temporal, record.workflowId), deleteSupportBundle, [{ by: request.subject }], `support bundle ${record.id}`, 'delete');
      return shown(await waitForChange(app, record));
    },
  );
};

/** The record once its workflow has moved it on from where it was (a moment after a command), or as it is after a few seconds. */
async function waitForChange(app: FastifyInstance, before: SupportBundleRecord): Promise<SupportBundleRecord> {
  for (let i = 0; i < 25; i++) {
    const now = await app.supportBundles.get(before.id);
    if (now && now.status !== before.status) return now;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return (await app.supportBundles.get(before.id)) ?? before;
}

export default supportBundles;
