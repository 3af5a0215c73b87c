import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { CellSpec, CellView } from '../../domain/cell';
import { windowProblems } from '../../domain/window';
import { cellWorkflowId } from '../../workflows/ids';
import {
  cellStatusQuery,
  checkNowSignal,
  configureCell,
  requestRollback,
  requestUpdate,
  resolveDrift,
  setDesiredVersion,
  type UpdateAccepted as UpdateAcceptedMessage,
} from '../../workflows/messages';
import { DEFAULT_CHECK_INTERVAL_SECONDS, initialVersionOf } from '../../domain/cell';
import { visibleReleases } from '../../domain/channels';
import { planUpgrade } from '../../domain/upgrade-path';
import { HttpProblem } from '../problem';
import { CellIdKey, CellStatusKey, RingKey } from '../../workflows/search-attributes';
import type { ApiContext } from '../context';
import { badRequest, fromTemporal } from '../problem';
import { cellExists, listCells } from '../cell-list';
import { withMaintenance } from '../cell-maintenance';
import { problems } from '../schemas/common';
import {
  Cell,
  CellList,
  CellListQuery,
  CellParams,
  CellSettingsBody,
  DesiredVersionAccepted,
  DesiredVersionBody,
  DriftParams,
  Plan,
  PlanQuery,
  RegisterCellBody,
  RequestUpdateBody,
  RollbackBody,
  UpdateAccepted,
} from '../schemas/cells';

const DEFAULT_EXPECTED_UPDATE_MINUTES = 30;

export async function cellRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.post(
    '/v1/cells',
    { config: { role: 'admin' }, schema: { summary: 'Register a cell', body: RegisterCellBody, response: { 201: Cell, ...problems(400, 401, 403, 409) } } },
    async (request, reply) => {
      const body = request.body;
      const spec: CellSpec = {
        id: body.id,
        ring: body.ring,
        strategy: body.strategy ?? 'maintenance-window',
        maintenanceWindow: body.maintenanceWindow,
        cluster: body.cluster,
        stagingCellId: body.stagingCellId,
        stagingFirst: body.stagingFirst,
        live: body.live,
        airGapped: body.airGapped ?? false,
        autoUpdate: body.autoUpdate ?? false,
        checkIntervalSeconds: body.checkIntervalSeconds ?? DEFAULT_CHECK_INTERVAL_SECONDS,
        stack: body.stack,
        infraApply: body.infraApply ?? false,
        expectedUpdateMinutes: body.expectedUpdateMinutes ?? Math.min(DEFAULT_EXPECTED_UPDATE_MINUTES, body.maintenanceWindow.durationMinutes),
      };
      const errors = windowProblems(spec.maintenanceWindow).map((p) => ({ field: `body.maintenanceWindow.${p.field}`, reason: p.reason }));
      if (spec.expectedUpdateMinutes > spec.maintenanceWindow.durationMinutes) {
        errors.push({ field: 'body.expectedUpdateMinutes', reason: `an update of ${spec.expectedUpdateMinutes} min never fits a ${spec.maintenanceWindow.durationMinutes} min window` });
      }
      if (spec.stagingCellId === spec.id) errors.push({ field: 'body.stagingCellId', reason: 'a cell cannot be its own staging cell' });
      else if (spec.stagingCellId && !(await cellExists(ctx, spec.stagingCellId))) {
        errors.push({ field: 'body.stagingCellId', reason: `cell ${spec.stagingCellId} is not registered` });
      }
      if (spec.strategy === 'staging-first' && !spec.stagingCellId) {
        errors.push({ field: 'body.stagingCellId', reason: 'the staging-first strategy needs a paired staging cell' });
      }
      if (errors.length > 0) throw badRequest(errors);
      const initialVersion = initialVersionOf(spec.cluster);
      if (initialVersion) {
        const initial = await ctx.catalog.get(initialVersion);
        if (!initial) throw badRequest([{ field: 'body.cluster.initialVersion', reason: `release ${initialVersion} is not in the catalog` }]);
        if (spec.airGapped && initial.source !== 'bundle') {
          throw badRequest([{ field: 'body.cluster.initialVersion', reason: `an air-gapped cell runs only bundled releases; ${initial.version} was not uploaded as a bundle` }]);
        }
      }
      try {
        await ctx.temporal.workflow.start('cellController', {
          workflowId: cellWorkflowId(spec.id),
          taskQueue: ctx.taskQueue,
          args: [{ spec }],
          typedSearchAttributes: [
            { key: CellIdKey, value: spec.id },
            { key: RingKey, value: spec.ring },
            { key: CellStatusKey, value: 'registering' },
          ],
        });
      } catch (err) {
        throw fromTemporal(err, `cell ${spec.id}`) ?? err;
      }
      const view: CellView = { spec, state: 'registering', maintenance: { enabled: false }, history: [] };
      return reply.status(201).header('location', `/v1/cells/${spec.id}`).send(toCell(view));
    },
  );

  api.get(
    '/v1/cells',
    { config: { role: 'viewer' }, schema: { summary: 'List cells', querystring: CellListQuery, response: { 200: CellList, ...problems(400, 401) } } },
    async (request) => listCells(ctx, request.query),
  );

  api.get(
    '/v1/cells/:cellId',
    { config: { role: 'viewer' }, schema: { summary: 'A cell: spec, version, maintenance, current update, history', params: CellParams, response: { 200: Cell, ...problems(401, 404) } } },
    async (request) => {
      const view = await ctx.temporal.workflow.getHandle(cellWorkflowId(request.params.cellId)).query(cellStatusQuery);
      return toCell(await withMaintenance(ctx, view));
    },
  );

  api.post(
    '/v1/cells/:cellId/updates',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Request an update of the cell to a release',
        params: CellParams,
        body: RequestUpdateBody,
        response: { 202: UpdateAccepted, ...problems(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const accepted = await ctx.temporal.workflow
        .getHandle(cellWorkflowId(request.params.cellId))
        .executeUpdate(requestUpdate, { args: [{ ...request.body, requestedBy: request.subject }] });
      return sendAccepted(reply, accepted);
    },
  );

  api.post(
    '/v1/cells/:cellId/rollback',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Roll the cell back to its previous installed version, or to a named one from its history',
        params: CellParams,
        body: RollbackBody,
        response: { 202: UpdateAccepted, ...problems(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const accepted = await ctx.temporal.workflow
        .getHandle(cellWorkflowId(request.params.cellId))
        .executeUpdate(requestRollback, { args: [{ toVersion: request.body?.toVersion, requestedBy: request.subject }] });
      return sendAccepted(reply, accepted);
    },
  );
}

export async function cellControlRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const controller = (cellId: string) => ctx.temporal.workflow.getHandle(cellWorkflowId(cellId));

  api.put(
    '/v1/cells/:cellId/desired-version',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Set the version the cell should run; the controller gets there through the upgrade path, stepping stones first',
        params: CellParams,
        body: DesiredVersionBody,
        response: { 202: DesiredVersionAccepted, ...problems(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const accepted = await controller(request.params.cellId).executeUpdate(setDesiredVersion, {
        args: [{ version: request.body.version, requestedBy: request.subject }],
      });
      return reply.status(202).send(accepted);
    },
  );

  api.get(
    '/v1/cells/:cellId/plan',
    {
      config: { role: 'viewer' },
      schema: { summary: 'The upgrade plan from the installed version to a target, before running it', params: CellParams, querystring: PlanQuery, response: { 200: Plan, ...problems(400, 401, 404, 422) } },
    },
    async (request) => {
      const view = await controller(request.params.cellId).query(cellStatusQuery);
      const releases = await ctx.catalog.list();
      const usable = view.spec.airGapped ? visibleReleases(releases, { ring: view.spec.ring, airGapped: true }) : releases;
      const plan = planUpgrade(view.version, request.query.to, usable);
      if (!plan.ok) throw new HttpProblem(422, 'No upgrade path', plan.reason, { missing: plan.missing });
      return { from: view.version ?? null, to: request.query.to, plan: plan.plan };
    },
  );

  api.patch(
    '/v1/cells/:cellId',
    { config: { role: 'operator' }, schema: { summary: 'Change auto-update and the check interval', params: CellParams, body: CellSettingsBody, response: { 200: Cell, ...problems(400, 401, 403, 404) } } },
    async (request) => toCell(await controller(request.params.cellId).executeUpdate(configureCell, { args: [request.body] })),
  );

  api.post(
    '/v1/cells/:cellId/check',
    { config: { role: 'operator' }, schema: { summary: 'Check for updates and for drift now', params: CellParams, response: { 202: Type.Object({ id: Type.String() }), ...problems(401, 403, 404) } } },
    async (request, reply) => {
      await controller(request.params.cellId).signal(checkNowSignal);
      return reply.status(202).send({ id: request.params.cellId });
    },
  );

  api.post(
    '/v1/cells/:cellId/drift/:action',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Resolve a drift: reconcile puts the recorded version back, accept records what the cluster runs',
        params: DriftParams,
        response: { 200: Cell, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      toCell(await controller(request.params.cellId).executeUpdate(resolveDrift, { args: [{ action: request.params.action, requestedBy: request.subject }] })),
  );
}


/** 202 for a started update, with where to watch it. */
function sendAccepted(reply: FastifyReply, accepted: UpdateAcceptedMessage) {
  return reply
    .status(202)
    .header('location', `/v1/updates/${accepted.id}`)
    .send({ ...accepted, fromVersion: accepted.fromVersion ?? null });
}

function toCell(view: CellView) {
  const { spec } = view;
  return {
    ...spec,
    airGapped: spec.airGapped ?? false,
    autoUpdate: spec.autoUpdate ?? false,
    checkIntervalSeconds: spec.checkIntervalSeconds ?? DEFAULT_CHECK_INTERVAL_SECONDS,
    state: view.state,
    version: view.version ?? null,
    desiredVersion: view.desiredVersion ?? null,
    plan: view.plan,
    reconcileError: view.reconcileError,
    drift: view.drift,
    lastCheck: view.lastCheck,
    flags: view.flags ?? {},
    infraApply: spec.infraApply ?? false,
    sla: view.sla ?? 'in-sla',
    infraUpdates: view.infraUpdates ?? [],
    maintenance: view.maintenance,
    currentUpdate: view.currentUpdate,
    history: view.history,
    error: view.error,
  };
}
