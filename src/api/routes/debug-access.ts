import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { parsePublicKey } from '../../crypto/seal';
import { controllerOf } from '../../workflows/cell/client';
import { countDebugAccess, debugAccessOf, startDebugAccess } from '../../workflows/debug/client';
import { cellStatusQuery, debugAccessQuery, decideDebugAccess, revokeDebugAccess } from '../../workflows/messages';
import { sendCommand } from '../http/commands';
import { badRequest, HttpProblem } from '../http/problem';
import { CellParams } from '../schemas/cells';
import { problems } from '../schemas/common';
import { publicKeySha256 } from '../../crypto/debug-approval';
import { AuditQuery, DebugAccess, DebugAccessAudit, DebugAccessBody, DebugAccessParams, DecideBody, RevokeBody } from '../schemas/debug-access';

/** How many times a request looks for its number when another request took the one it counted. */
const NUMBER_TRIES = 5;

/**
 * Emergency debug access: an operator asks, the cell's customer decides (a customer token bound to
 * the cell), a durable workflow grants and ends it. The API holds the token sealed, never in clear.
 */
const debugAccessRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const grant = (cellId: string, n: number) => debugAccessOf(app.temporal, cellId, n);

  app.post(
    '/v1/cells/:cellId/debug-access',
    {
      config: { role: 'operator' },
      schema: {
        summary: "Ask for emergency debug access to a cell: the cell's customer approves or denies; access ends by itself",
        params: CellParams,
        body: DebugAccessBody,
        response: { 202: DebugAccess, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { cellId } = request.params;
      const key = parsePublicKey(request.body.publicKey);
      if ('reason' in key) throw badRequest([{ field: 'body.publicKey', reason: key.reason }]);
      const { spec } = await controllerOf(app.temporal, cellId).query(cellStatusQuery);
      // The cell's next number: one more than its requests so far, or than the audit trail's highest
      // (histories go with the namespace's retention, the trail stays); taken meanwhile, the next.
      const counted = await countDebugAccess(app.temporal, cellId);
      for (let n = Math.max(counted, await app.debugAudit.lastNumber(cellId)) + 1, tries = 0; tries < NUMBER_TRIES; n++, tries++) {
        try {
          const handle = await startDebugAccess(
            app.temporal,
            app.taskQueue,
            {
              cellId,
              n,
              scope: request.body.scope,
              durationMinutes: request.body.durationMinutes,
              decisionMinutes: request.body.decisionMinutes ?? 60,
              reason: request.body.reason,
              publicKey: request.body.publicKey,
              publicKeySha256: publicKeySha256(request.body.publicKey),
              requestedBy: request.subject,
              target: { cellId, cluster: spec.cluster, ...(spec.connection === 'agent' ? { connection: 'agent' as const } : {}) },
              ...(spec.agentWaitSeconds ? { agentWaitSeconds: spec.agentWaitSeconds } : {}),
            },
            `debug access to ${cellId} (${request.body.scope.role} on ${request.body.scope.namespace}) asked by ${request.subject}`,
          );
          const view = await handle.query(debugAccessQuery);
          return reply.status(202).header('location', `/v1/cells/${cellId}/debug-access/${n}`).send(view);
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }
      throw new HttpProblem(409, 'Conflict', `could not number a new request for ${cellId}: try again`);
    },
  );

  app.get(
    '/v1/cells/:cellId/debug-access/audit',
    {
      config: { role: 'operator', customers: true },
      schema: {
        summary: "The audit trail of the cell's debug access (or of request n): every step, who and why; from the database, kept after the workflows' histories are gone",
        params: CellParams,
        querystring: AuditQuery,
        response: { 200: DebugAccessAudit, ...problems(400, 401, 403) },
      },
    },
    async (request) => ({ requests: await app.debugAudit.requests(request.params.cellId, request.query.n) }),
  );

  app.get(
    '/v1/cells/:cellId/debug-access/:n',
    {
      config: { role: 'viewer', customers: true },
      schema: { summary: 'A request for debug access: who asked and why, the decision, when it began and ended, the sealed token', params: DebugAccessParams, response: { 200: DebugAccess, ...problems(400, 401, 403, 404) } },
    },
    async (request) => grant(request.params.cellId, request.params.n).query(debugAccessQuery),
  );

  app.post(
    '/v1/cells/:cellId/debug-access/:n/decide',
    {
      config: { role: 'admin', customers: true },
      schema: {
        summary: "The customer's decision: approve or deny (only a customer token of the cell; never the requester)",
        params: DebugAccessParams,
        body: DecideBody,
        response: { 200: DebugAccess, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { cellId, n } = request.params;
      if (request.role !== 'customer') throw new HttpProblem(403, 'Forbidden', `only the customer of ${cellId} decides on debug access to it`);
      const handle = grant(cellId, n);
      const { requestedBy } = await handle.query(debugAccessQuery);
      if (requestedBy === request.subject) throw new HttpProblem(403, 'Forbidden', `${request.subject} asked for this access and cannot decide on it`);
      await sendCommand(handle, decideDebugAccess, [{ approve: request.body.decision === 'approve', reason: request.body.reason, by: request.subject, ...(request.body.signature ? { signature: request.body.signature } : {}) }], `debug access ${cellId}/${n}`, 'decide');
      return handle.query(debugAccessQuery);
    },
  );

  app.post(
    '/v1/cells/:cellId/debug-access/:n/revoke',
    {
      config: { role: 'operator', customers: true },
      schema: { summary: 'End the access now (or withdraw the request): the customer or an operator', params: DebugAccessParams, body: RevokeBody, response: { 200: DebugAccess, ...problems(400, 401, 403, 404, 409) } },
    },
    async (request) => {
      const { cellId, n } = request.params;
      const handle = grant(cellId, n);
      await sendCommand(handle, revokeDebugAccess, [{ by: request.subject, ...(request.body?.reason ? { reason: request.body.reason } : {}) }], `debug access ${cellId}/${n}`, 'revoke');
      return handle.query(debugAccessQuery);
    },
  );
};

export default debugAccessRoutes;
