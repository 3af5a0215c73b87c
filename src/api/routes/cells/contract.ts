// The customer's change contract over HTTP: a cell's blackouts (the operator's, and the customer's
// within the contract), fleet-wide freezes (operators), postponements (the cell's customer, within
// the contract), and what is upcoming for a cell: what, when at the earliest, why, how to postpone.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { CellView } from '../../../domain/cell';
import { changeOf, customerBlackoutRefusal, nextStart, postponementRefusal, shownHolds, type ContractRefusal } from '../../../domain/contract';
import { BlackoutBody, PostponementBody } from '../../../domain/schemas/contract';
import { compareVersions } from '../../../domain/version';
import { badRequest, HttpProblem, notFound } from '../../http/problem';
import { CellParams } from '../../schemas/cells';
import { problems } from '../../schemas/common';
import { parseUpdateId } from '../../../workflows/ids';
import { customerDecision } from '../../../workflows/messages';
import { tellContractChanged, updateOf } from '../../../workflows/update/client';
import { sendCommand } from '../../http/commands';
import { UpdateParams } from '../../schemas/updates';
import { readCell, readUpdate } from '../read-views';

const BlackoutParams = Type.Object({ cellId: CellParams.properties.cellId, id: Type.String({ format: 'uuid' }) });
const FreezeParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const CellUpdateParams = Type.Object({ cellId: CellParams.properties.cellId, updateId: UpdateParams.properties.updateId });
const DecisionBody = Type.Object({ decision: Type.Union([Type.Literal('approve'), Type.Literal('deny')]), reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })) }, { additionalProperties: false });

function refused(refusal: ContractRefusal): HttpProblem {
  return new HttpProblem(409, 'Refused by the change contract', refusal.reason, { rule: refusal.rule });
}

/** A period given by a person: a start before its end (400 naming the field otherwise). */
function checkPeriod(body: { startsAt: string; endsAt: string }): void {
  if (Date.parse(body.endsAt) <= Date.parse(body.startsAt)) throw badRequest([{ field: 'body.endsAt', reason: `must be after startsAt (${body.startsAt})` }]);
}

/** The change scheduled for the cell (its update waiting or running, else its desired version, else the newest notice it was given), and when it may start under the contract now. */
export async function upcomingOf(app: FastifyInstance, view: CellView, now = Date.now()) {
  const notices = await app.contracts.notices(view.spec.id);
  const desired = view.desiredVersion && view.desiredVersion !== view.version ? view.desiredVersion : undefined;
  // A notice of a release the cell has passed since is history, not what is upcoming.
  const version = view.currentUpdate?.toVersion ?? desired ?? notices.find((n) => view.version === undefined || compareVersions(n.version, view.version) > 0)?.version;
  if (!version) return undefined;
  const release = await app.catalog.get(version);
  const change = changeOf(release ?? { version });
  const facts = await app.contracts.facts(view.spec, change, new Date(now));
  const decided = { window: view.spec.maintenanceWindow, expectedMs: view.spec.expectedUpdateMinutes * 60_000, ...facts, ...(view.sla ? { sla: view.sla } : {}) };
  const answer = nextStart(decided, now);
  // Where it stood before any postponement: what the contract's days of postponement count from.
  const { postponedUntil: _, ...unpostponed } = decided;
  const scheduled = nextStart(unpostponed, now);
  const notice = notices.find((n) => n.version === version);
  const iso = (ms: number) => new Date(ms).toISOString();
  const maxDays = view.spec.contract?.postponement?.maxDays ?? 0;
  // The customer's approval its update waits for (the customer reads it here, with the customer's token).
  const update = view.currentUpdate ? await readUpdate(app, view.currentUpdate.id).catch(() => undefined) : undefined;
  return {
    version,
    breaking: change.breaking,
    emergency: change.emergency,
    ...(view.currentUpdate ? { updateId: view.currentUpdate.id, ...(update ? { status: update.status } : {}) } : {}),
    ...(update?.approval ? { approval: { ...update.approval, how: `POST /v1/cells/${view.spec.id}/updates/${update.id}/decide {"decision": "approve" | "deny", "reason"}` } } : {}),
    why: notice?.why ?? (view.currentUpdate ? `update ${view.currentUpdate.id}` : 'its desired version'),
    ...(notice ? { noticeGivenAt: notice.givenAt } : {}),
    ...('startsAt' in scheduled ? { scheduledStartsAt: iso(scheduled.startsAt) } : {}),
    ...('held' in answer
      ? { held: answer.held }
      : { startsAt: iso(answer.startsAt), waits: shownHolds(answer.waits) }),
    postpone:
      change.emergency || maxDays === 0
        ? { allowed: false, reason: change.emergency ? 'an emergency release is not postponed' : 'the contract allows no postponement' }
        : { allowed: true, how: `POST /v1/cells/${view.spec.id}/postponements {"until", "reason"}`, latest: iso(Math.max(now, 'startsAt' in scheduled ? scheduled.startsAt : now) + maxDays * 86_400_000) },
  };
}

const contract: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/cells/:cellId/blackouts',
    { config: { role: 'viewer', customers: true }, schema: { summary: "The cell's blackouts and the fleet's freezes still to come or under way", params: CellParams, response: { 200: Type.Object({ blackouts: Type.Array(Type.Any()) }), ...problems(401, 403, 404) } } },
    async (request) => {
      await readCell(app, request.params.cellId);
      return { blackouts: await app.contracts.blackouts(request.params.cellId) };
    },
  );

  app.post(
    '/v1/cells/:cellId/blackouts',
    {
      config: { role: 'operator', customers: true },
      schema: { summary: 'A blackout of the cell: operators any; its customer within the contract', params: CellParams, body: BlackoutBody, response: { 201: Type.Any(), ...problems(400, 401, 403, 404, 409) } },
    },
    async (request, reply) => {
      const view = await readCell(app, request.params.cellId);
      checkPeriod(request.body);
      if (request.role === 'customer') {
        const existing = await app.contracts.customerBlackouts(view.spec.id, new Date(Date.parse(request.body.startsAt) - 366 * 86_400_000), new Date(Date.parse(request.body.endsAt) + 366 * 86_400_000));
        const refusal = customerBlackoutRefusal(view.spec.contract, view.spec.id, existing, request.body, Date.now());
        if (refusal) throw refused(refusal);
      }
      const blackout = await app.contracts.addBlackout({ cellId: view.spec.id, ...request.body, setBy: request.subject, setByRole: request.role });
      await tellContractChanged(app.temporal, await app.updates.waiting({ cellId: view.spec.id }));
      return reply.status(201).send(blackout);
    },
  );

  app.delete(
    '/v1/cells/:cellId/blackouts/:id',
    { config: { role: 'operator', customers: true }, schema: { summary: "Ends a blackout of the cell now (its customer: only the customer's own)", params: BlackoutParams, response: { 204: { type: 'null' }, ...problems(401, 403, 404) } } },
    async (request, reply) => {
      const blackout = await app.contracts.blackout(request.params.id);
      if (!blackout || blackout.cellId !== request.params.cellId || blackout.removedBy) throw notFound(`blackout ${request.params.id} of ${request.params.cellId}`);
      if (request.role === 'customer' && blackout.setByRole !== 'customer') throw new HttpProblem(403, 'Forbidden', `blackout ${blackout.id} was set by an operator: only an operator ends it`);
      await app.contracts.removeBlackout(blackout.id, request.subject);
      await tellContractChanged(app.temporal, await app.updates.waiting({ cellId: request.params.cellId }));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/v1/freezes',
    { config: { role: 'viewer' }, schema: { summary: 'Fleet-wide change freezes still to come or under way', response: { 200: Type.Object({ freezes: Type.Array(Type.Any()) }), ...problems(401, 403) } } },
    async () => ({ freezes: await app.contracts.blackouts(null) }),
  );

  app.post(
    '/v1/freezes',
    { config: { role: 'operator' }, schema: { summary: 'A change freeze of the whole fleet', body: BlackoutBody, response: { 201: Type.Any(), ...problems(400, 401, 403) } } },
    async (request, reply) => {
      checkPeriod(request.body);
      const freeze = await app.contracts.addBlackout({ ...request.body, setBy: request.subject, setByRole: request.role });
      await tellContractChanged(app.temporal, await app.updates.waiting());
      return reply.status(201).send(freeze);
    },
  );

  app.delete(
    '/v1/freezes/:id',
    { config: { role: 'operator' }, schema: { summary: 'Ends a freeze now', params: FreezeParams, response: { 204: { type: 'null' }, ...problems(401, 403, 404) } } },
    async (request, reply) => {
      const freeze = await app.contracts.blackout(request.params.id);
      if (!freeze || freeze.cellId || freeze.removedBy) throw notFound(`freeze ${request.params.id}`);
      await app.contracts.removeBlackout(freeze.id, request.subject);
      await tellContractChanged(app.temporal, await app.updates.waiting());
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/v1/cells/:cellId/postponements',
    { config: { role: 'viewer', customers: true }, schema: { summary: "The cell's postponements, newest first: who, until when, why", params: CellParams, response: { 200: Type.Object({ postponements: Type.Array(Type.Any()) }), ...problems(401, 403, 404) } } },
    async (request) => {
      await readCell(app, request.params.cellId);
      return { postponements: await app.contracts.postponements(request.params.cellId) };
    },
  );

  app.post(
    '/v1/cells/:cellId/postponements',
    {
      config: { role: 'admin', customers: true },
      schema: { summary: "Postpone the cell's next update (only the cell's customer token), within the contract", params: CellParams, body: PostponementBody, response: { 201: Type.Any(), ...problems(400, 401, 403, 404, 409) } },
    },
    async (request, reply) => {
      const { cellId } = request.params;
      if (request.role !== 'customer') throw new HttpProblem(403, 'Forbidden', `only the customer of ${cellId} postpones its updates (operators set blackouts)`);
      const view = await readCell(app, cellId);
      const now = Date.now();
      const until = Date.parse(request.body.until);
      if (until <= now) throw badRequest([{ field: 'body.until', reason: 'must be in the future' }]);
      const next = await upcomingOf(app, view, now);
      const deadlines = (view.infraUpdates ?? []).map((u) => Date.parse(u.deadline));
      const refusal = postponementRefusal(
        view.spec.contract,
        cellId,
        next ? { change: { version: next.version, breaking: next.breaking, emergency: next.emergency }, ...(next.scheduledStartsAt ? { startsAt: Date.parse(next.scheduledStartsAt) } : {}) } : undefined,
        until,
        deadlines.length > 0 ? Math.min(...deadlines) : undefined,
        now,
      );
      if (refusal) throw refused(refusal);
      const postponement = await app.contracts.postpone(cellId, request.body.until, request.body.reason, request.subject);
      await tellContractChanged(app.temporal, await app.updates.waiting({ cellId }));
      return reply.status(201).send(postponement);
    },
  );

  app.post(
    '/v1/cells/:cellId/updates/:updateId/decide',
    {
      config: { role: 'admin', customers: true },
      schema: {
        summary: "The customer's decision on an update the cell's contract asks approval for (only the cell's customer token)",
        params: CellUpdateParams,
        body: DecisionBody,
        response: { 202: Type.Object({ id: Type.String(), decision: Type.String(), by: Type.String() }), ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { cellId, updateId } = request.params;
      if (request.role !== 'customer') throw new HttpProblem(403, 'Forbidden', `only the customer of ${cellId} approves its updates`);
      if (parseUpdateId(updateId)?.cellId !== cellId) throw notFound(`update ${updateId} of ${cellId}`);
      const { decision, reason } = request.body;
      await sendCommand(updateOf(app.temporal, updateId), customerDecision, [{ approve: decision === 'approve', by: request.subject, ...(reason ? { reason } : {}) }], `update ${updateId}`, 'decide');
      return reply.status(202).send({ id: updateId, decision, by: request.subject });
    },
  );

  app.get(
    '/v1/cells/:cellId/upcoming',
    { config: { role: 'viewer', customers: true }, schema: { summary: "The cell's next update: what, when at the earliest under its contract, why, and how to postpone it", params: CellParams, response: { 200: Type.Any(), ...problems(401, 403, 404) } } },
    async (request) => {
      const view = await readCell(app, request.params.cellId);
      const next = await upcomingOf(app, view);
      const postponement = await app.contracts.postponement(view.spec.id);
      const overrides = await app.contracts.overrides(view.spec.id);
      return { cellId: view.spec.id, upcoming: next ?? null, ...(postponement ? { postponement } : {}), blackouts: await app.contracts.blackouts(view.spec.id), ...(overrides.length > 0 ? { emergencyOverrides: overrides } : {}) };
    },
  );
};

export default contract;
