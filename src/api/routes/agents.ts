import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { agentTaskQueue, type AgentRegistration } from '../../domain/agent';
import { controllerOf } from '../../workflows/cell/client';
import { agentRegistered } from '../../workflows/messages';
import { bearerToken } from '../plugins/app/auth';
import { CsrError } from '../../crypto/agent-ca';
import { MissingKeyError } from '../../crypto/keyring';
import { HttpProblem, badRequest, fromTemporal } from '../http/problem';
import { readCell } from './read-views';
import { AgentRegistered, BootstrapToken, BootstrapTokenBody, RegisterAgentBody } from '../schemas/agents';
import { CellParams } from '../schemas/cells';
import { problems } from '../schemas/common';

const DEFAULT_TOKEN_MINUTES = 24 * 60;
const REGISTER_PATH = '/v1/agents/register';

const REFUSED = {
  unknown: [401, 'this bootstrap token is not valid for this cell (unknown, replaced by a newer one, or issued for another cell)'],
  expired: [401, 'this bootstrap token has expired: ask the operator for a new one'],
  used: [409, 'this bootstrap token was already used: a token registers one agent once; ask the operator for a new one'],
} as const;

/**
 * A cell's agent, registered as the product documents describe: the operator gets a one-time
 * bootstrap token bound to the cell; the cell's bootstrap starts the agent with it; the agent
 * exchanges it (an outgoing call) for where to poll, and the cell's controller registers the cell.
 */
const agents: FastifyPluginAsyncTypebox = async (app) => {
  const controller = (cellId: string) => controllerOf(app.temporal, cellId);
  // Each hands out a credential: a few a minute, per address (registration) or per admin (tokens).
  const rateLimit = { max: app.requestLimits.registrationPerMinute, timeWindow: 60_000 };

  app.post(
    '/v1/cells/:cellId/bootstrap-token',
    {
      config: { role: 'admin', rateLimit },
      schema: {
        summary: "A one-time token for the cell's agent to register with (replaces any earlier one); shown once",
        params: CellParams,
        body: BootstrapTokenBody,
        response: { 201: BootstrapToken, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { cellId } = request.params;
      const view = await readCell(app, cellId);
      if (view.spec.connection !== 'agent') throw new HttpProblem(409, 'Conflict', `cell ${cellId} is reached directly (connection: direct): it has no agent to register`);
      const issued = await app.agents.bootstrapTokens.issue(cellId, request.subject, request.body.expiresInMinutes ?? DEFAULT_TOKEN_MINUTES);
      return reply.status(201).header('cache-control', 'no-store').send({ ...issued, registerPath: REGISTER_PATH, caSha256: app.agents.credentials.caSha256, endpoint: app.agents.endpoint });
    },
  );

  app.post(
    REGISTER_PATH,
    {
      config: { rateLimit },
      schema: {
        summary: "An agent's registration: its bootstrap token (as bearer token) exchanged for where it polls",
        body: RegisterAgentBody,
        response: { 200: AgentRegistered, ...problems(400, 401, 404, 409, 503) },
      },
    },
    async (request) => {
      const token = bearerToken(request, 'send the bootstrap token as Authorization: Bearer <token>');
      const { cellId, csr, ...agent } = request.body;
      const registration: AgentRegistration = { ...agent, registeredAt: new Date().toISOString() };
      const redeemed = await app.agents.bootstrapTokens.redeem(cellId, token, async () => {
        // The cell's certificate first (its earlier ones revoked): a CSR cellshift will not sign gives the token back.
        const issued = await app.agents.credentials.issue(cellId, csr, 'registration').catch((err: unknown) => {
          if (err instanceof CsrError) throw badRequest([{ field: 'body.csr', reason: err.message }]);
          // This replica was not given the key the CA's is encrypted under: another may have it.
          if (err instanceof MissingKeyError) throw new HttpProblem(503, 'Service Unavailable', `this API replica cannot sign agent certificates: ${err.message}`);
          throw err;
        });
        try {
          await controller(cellId).executeUpdate(agentRegistered, { args: [registration] });
        } catch (err) {
          await app.agents.credentials.revokeCell(cellId, 'the registration failed');
          throw fromTemporal(err, `cell ${cellId}`) ?? err;
        }
        return issued;
      });
      if (!redeemed.ok) {
        const [status, detail] = REFUSED[redeemed.reason];
        throw new HttpProblem(status, status === 401 ? 'Unauthorized' : 'Conflict', detail);
      }
      request.log.info({ cellId, agentVersion: agent.agentVersion, host: agent.host }, 'agent registered');
      return {
        cellId,
        taskQueue: agentTaskQueue(cellId),
        endpoint: app.agents.endpoint,
        namespace: app.temporal.options.namespace,
        certificate: redeemed.result.certificatePem,
        notAfter: redeemed.result.notAfter.toISOString(),
        caCertificate: app.agents.credentials.caCertificatePem,
        registeredAt: registration.registeredAt,
        minAgentVersion: app.agents.minVersion,
      };
    },
  );
};

export default agents;
