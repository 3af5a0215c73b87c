import { DEFAULT_AGENT_WAIT_SECONDS } from '../../../domain/agent';
import { agentPresence } from '../../../workflows/agents/client';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { CatalogRelease } from '../../../domain/release';
import { DEFAULT_CHECK_INTERVAL_SECONDS, initialVersionOf, type CellConfigStatus, type CellSpec, type CellView } from '../../../domain/cell';
import { requireSettable } from './config-values';
import { visibleReleases } from '../../../domain/channels';
import { configHold } from '../../../domain/config-hold';
import { planUpgrade } from '../../../domain/upgrade-path';
import { changeOf, lagRefusal, nextStart, shownHolds } from '../../../domain/contract';
import { windowProblems } from '../../../domain/window';
import { controllerRuns, startController } from '../../../workflows/cell/client';
import { listCells } from './list';
import { toCell } from './view';
import { HttpProblem, badRequest, fromTemporal } from '../../http/problem';
import { readCell } from '../read-views';
import { Cell, CellList, CellListQuery, CellParams, Plan, PlanQuery, RegisterCellBody } from '../../schemas/cells';
import { problems } from '../../schemas/common';

const DEFAULT_EXPECTED_UPDATE_MINUTES = 30;

/** Registering a cell (its controller starts) and reading cells: the list, one cell, its upgrade plan. */
const cellRegistry: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
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
        ...(body.connection === 'agent' ? { connection: 'agent' as const, agentWaitSeconds: body.agentWaitSeconds ?? DEFAULT_AGENT_WAIT_SECONDS } : {}),
        stagingCellId: body.stagingCellId,
        stagingFirst: body.stagingFirst,
        live: body.live,
        airGapped: body.airGapped ?? false,
        autoUpdate: body.autoUpdate ?? false,
        checkIntervalSeconds: body.checkIntervalSeconds ?? DEFAULT_CHECK_INTERVAL_SECONDS,
        stack: body.stack,
        infraApply: body.infraApply ?? false,
        ...(body.contract ? { contract: body.contract } : {}),
        expectedUpdateMinutes: body.expectedUpdateMinutes ?? Math.min(DEFAULT_EXPECTED_UPDATE_MINUTES, body.maintenanceWindow.durationMinutes),
      };
      const errors = windowProblems(spec.maintenanceWindow).map((p) => ({ field: `body.maintenanceWindow.${p.field}`, reason: p.reason }));
      if (spec.expectedUpdateMinutes > spec.maintenanceWindow.durationMinutes) {
        errors.push({ field: 'body.expectedUpdateMinutes', reason: `an update of ${spec.expectedUpdateMinutes} min never fits a ${spec.maintenanceWindow.durationMinutes} min window` });
      }
      if (spec.stagingCellId === spec.id) errors.push({ field: 'body.stagingCellId', reason: 'a cell cannot be its own staging cell' });
      else if (spec.stagingCellId && !(await controllerRuns(app.temporal, spec.stagingCellId))) {
        errors.push({ field: 'body.stagingCellId', reason: `cell ${spec.stagingCellId} is not registered` });
      }
      if (spec.cluster.kind === 'kubernetes' && spec.connection !== 'agent' && !spec.cluster.kubeconfig) {
        errors.push({ field: 'body.cluster.kubeconfig', reason: "a cell reached directly needs the kubeconfig cellshift's workers use (or connection: agent)" });
      }
      if (spec.connection === 'agent' && spec.cluster.kind === 'kubernetes' && spec.cluster.kubeconfig) {
        errors.push({ field: 'body.cluster.kubeconfig', reason: "a cell reached through its agent uses the agent's own credentials: name no kubeconfig" });
      }
      if (body.agentWaitSeconds !== undefined && spec.connection !== 'agent') errors.push({ field: 'body.agentWaitSeconds', reason: 'only a cell reached through its agent waits for one' });
      if (spec.strategy === 'staging-first' && !spec.stagingCellId) {
        errors.push({ field: 'body.stagingCellId', reason: 'the staging-first strategy needs a paired staging cell' });
      }
      if (errors.length > 0) throw badRequest(errors);
      const initialVersion = initialVersionOf(spec.cluster);
      if (initialVersion) {
        const initial = await app.catalog.get(initialVersion);
        if (!initial) throw badRequest([{ field: 'body.cluster.initialVersion', reason: `release ${initialVersion} is not in the catalog` }]);
        if (spec.airGapped && initial.source !== 'bundle') {
          throw badRequest([{ field: 'body.cluster.initialVersion', reason: `an air-gapped cell runs only bundled releases; ${initial.version} was not uploaded as a bundle` }]);
        }
      }
      // Its first configuration values: checked as any change is, stored before its controller starts.
      let config: CellConfigStatus | undefined;
      if (body.config) {
        requireSettable(await app.catalog.list(), { spec, version: initialVersion }, body.config, request.role, request.subject, 'body.config');
        if (await controllerRuns(app.temporal, spec.id)) throw new HttpProblem(409, 'Conflict', `cell ${spec.id} already exists`);
        const { revision } = await app.configs.set(spec.id, body.config, request.subject);
        // An installation it adopts (a simulated cell's initial version) runs them as they are; a first install renders them.
        config = { desired: revision, ...(initialVersion ? { applied: revision } : {}), requestedBy: request.subject };
      }
      const state = spec.connection === 'agent' ? 'awaiting-agent' : 'registering';
      try {
        // A cell removed before under this id took update numbers: this one goes on after them (an update id is never used twice).
        const nextUpdate = await app.cells.firstUpdateNumber(spec.id);
        await startController(app.temporal, app.taskQueue, { spec, ...(nextUpdate > 1 ? { nextUpdate } : {}), ...(config ? { config } : {}) }, state);
      } catch (err) {
        // Here, not in the error handler: the URL does not name the cell, the problem should.
        throw fromTemporal(err, `cell ${spec.id}`) ?? err;
      }
      const view: CellView = { spec, state, maintenance: { enabled: false }, history: [], ...(config ? { config } : {}) };
      // Listed at once; the controller's own writes (revision 1 on) replace this one.
      await app.cells.write(view, 0);
      return reply.status(201).header('location', `/v1/cells/${spec.id}`).send(toCell(view));
    },
  );

  app.get(
    '/v1/cells',
    { config: { role: 'viewer' }, schema: { summary: 'List cells', querystring: CellListQuery, response: { 200: CellList, ...problems(400, 401) } } },
    async (request) => listCells(app, request.query),
  );

  app.get(
    '/v1/cells/:cellId',
    { config: { role: 'viewer' }, schema: { summary: 'A cell: spec, version, maintenance, current update, history', params: CellParams, response: { 200: Cell, ...problems(401, 404) } } },
    async (request) => {
      const view = await readCell(app, request.params.cellId);
      const cell = toCell(view);
      if (view.spec.connection !== 'agent') return cell;
      const presence = await agentPresence(app.temporal, view.spec.id, app.agents.offlineAfterSeconds, { registered: view.agent !== undefined });
      const { registeredAt, kubernetesVersion, capabilities } = view.agent ?? {};
      return { ...cell, agent: { ...presence, ...(registeredAt ? { registeredAt, kubernetesVersion, capabilities } : {}) } };
    },
  );

  app.get(
    '/v1/cells/:cellId/plan',
    {
      config: { role: 'viewer' },
      schema: { summary: 'The upgrade plan from the installed version to a target, before running it', params: CellParams, querystring: PlanQuery, response: { 200: Plan, ...problems(400, 401, 404, 422) } },
    },
    async (request) => {
      const view = await readCell(app, request.params.cellId);
      const releases = await app.catalog.list();
      const usable = view.spec.airGapped ? visibleReleases(releases, { ring: view.spec.ring, airGapped: true }) : releases;
      const plan = planUpgrade(view.version, request.query.to, usable);
      if (!plan.ok) throw new HttpProblem(422, 'No upgrade path', plan.reason, { missing: plan.missing });
      // A hop whose release requires configuration the cell lacks holds the cell there.
      const lag = view.spec.contract?.lag ?? 0;
      const held = (lag > 0 ? lagRefusal(request.query.to, visibleReleases(releases, { ring: view.spec.ring, airGapped: view.spec.airGapped }), lag) : undefined) ?? configHold(releases, plan.plan, view.spec.id, (await app.configs.current(view.spec.id)).values);
      return { from: view.version ?? null, to: request.query.to, plan: plan.plan, ...(held ? { held: { reason: held } } : {}), ...(plan.plan.length > 0 ? { schedule: await firstHopSchedule(app, view, plan.plan[0]!, releases) } : {}) };
    },
  );
};

export default cellRegistry;

/** When the first hop may start under the cell's change contract, and what it waits for. */
async function firstHopSchedule(app: FastifyInstance, view: CellView, version: string, releases: CatalogRelease[]) {
  const facts = await app.contracts.facts(view.spec, changeOf(releases.find((r) => r.version === version) ?? { version }));
  const next = nextStart({ window: view.spec.maintenanceWindow, expectedMs: view.spec.expectedUpdateMinutes * 60_000, ...facts, ...(view.sla ? { sla: view.sla } : {}) }, Date.now());
  if ('held' in next) return { held: next.held.reason };
  return { startsAt: new Date(next.startsAt).toISOString(), waits: shownHolds(next.waits) };
}
