import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { describeValue, effectiveConfig, valueProblem, type ConfigValue } from '../../../domain/config';
import { requireSettable } from './config-values';
import { controllerOf } from '../../../workflows/cell/client';
import { setDesiredConfig } from '../../../workflows/messages';
import { readCell } from '../read-views';
import { CellParams } from '../../schemas/cells';
import { problems } from '../../schemas/common';
import { CellConfig, ConfigBody, ConfigChanges, ConfigSetAccepted } from '../../schemas/config';

/**
 * A cell's configuration values: read by its operators and its customer; each item set by whom
 * its release says (an operator, the cell's customer with the customer's token; a stack item by
 * nobody). A change is stored as a new revision, recorded item by item, and applied as an update.
 */
const cellConfig: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/cells/:cellId/config',
    {
      config: { role: 'viewer', customers: true },
      schema: { summary: "A cell's configuration: the items of the release it is going to, each with its value and where it comes from", params: CellParams, response: { 200: CellConfig, ...problems(401, 403, 404) } },
    },
    async (request) => {
      const view = await readCell(app, request.params.cellId);
      const current = await app.configs.current(view.spec.id);
      const releases = await app.catalog.list();
      const target = releases.find((r) => r.version === (view.desiredVersion ?? view.version));
      const items = target?.config ?? [];
      const { values, missing } = effectiveConfig(items.filter((i) => i.setBy !== 'stack'), current.values);
      return {
        cellId: view.spec.id,
        revision: current.revision,
        ...(current.setBy ? { setBy: current.setBy, setAt: current.setAt } : {}),
        ...(view.config?.applied !== undefined ? { applied: view.config.applied } : {}),
        ...(target ? { release: target.version } : {}),
        items: items.map((item) => {
          const gap = missing.find((m) => m.item === item.name);
          if (item.setBy === 'stack') return { ...item, source: 'stack' as const };
          const own = [item.name, ...(item.renamedFrom ?? [])].some((n) => current.values[n] !== undefined && !valueProblem(item, current.values[n]));
          const value = values[item.name];
          return { ...item, ...(value !== undefined ? { value } : {}), source: own ? ('cell' as const) : value !== undefined ? ('default' as const) : ('unset' as const), ...(gap ? { missing: gap.reason } : {}) };
        }),
        values: current.values,
      };
    },
  );

  app.put(
    '/v1/cells/:cellId/config',
    {
      config: { role: 'operator', customers: true },
      schema: {
        summary: "Set items of a cell's configuration (null unsets one): a new revision, applied as a configuration change in the cell's window unless window is now",
        params: CellParams,
        body: ConfigBody,
        response: { 202: ConfigSetAccepted, 200: ConfigSetAccepted, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const view = await readCell(app, request.params.cellId);
      const releases = await app.catalog.list();
      requireSettable(releases, view, request.body.values, request.role, request.subject);
      const outcome = await app.configs.set(view.spec.id, request.body.values as Record<string, ConfigValue | null>, request.subject);
      // Whether the release the cell runs renders anything new with these values: if not, its controller needs no update for them.
      const runs = view.version === undefined ? undefined : releases.find((r) => r.version === view.version);
      const ownItems = (runs?.config ?? []).filter((i) => i.setBy !== 'stack');
      const unchanged = runs !== undefined && JSON.stringify(effectiveConfig(ownItems, outcome.before).values) === JSON.stringify(effectiveConfig(ownItems, outcome.after).values);
      request.log.info({ cellId: view.spec.id, revision: outcome.revision, changed: outcome.changed.map((c) => `${c.item}: ${describeValue(c.old)} → ${describeValue(c.new)}`) }, 'cell configuration set');
      // Told again even when nothing changed: a revision stored by an earlier request that could not reach the controller arrives now.
      const told = await controllerOf(app.temporal, view.spec.id).executeUpdate(setDesiredConfig, { args: [{ revision: outcome.revision, requestedBy: request.subject, ...(request.body.window ? { window: request.body.window } : {}), ...(unchanged ? { unchangedOn: runs.version } : {}) }] });
      const change =
        outcome.revision === 0
          ? 'nothing set: no change'
          : outcome.changed.length === 0
            ? `nothing changed: the cell runs towards revision ${outcome.revision}`
            : told.config?.applied === outcome.revision
              ? `revision ${outcome.revision}: release ${view.version} the cell runs renders the same with it; the next release it takes is rendered with it`
              : request.body.window === 'now'
              ? `revision ${outcome.revision}: a configuration change starts once nothing else runs on the cell`
              : `revision ${outcome.revision}: a configuration change in the cell's next maintenance window`;
      return reply.status(outcome.changed.length > 0 ? 202 : 200).send({ cellId: view.spec.id, revision: outcome.revision, changed: outcome.changed, change });
    },
  );

  app.get(
    '/v1/cells/:cellId/config/changes',
    { config: { role: 'viewer', customers: true }, schema: { summary: "Every change of a cell's configuration, item by item: who, when, old and new (newest first)", params: CellParams, response: { 200: ConfigChanges, ...problems(401, 403, 404) } } },
    async (request) => {
      const view = await readCell(app, request.params.cellId);
      return { changes: await app.configs.changes(view.spec.id) };
    },
  );
};

export default cellConfig;
