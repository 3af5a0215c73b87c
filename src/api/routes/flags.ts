import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FlagRule } from '../../domain/flags';
import { controllerOf, controllerRuns, ringCellIds } from '../../workflows/cell/client';
import { flagsChangedSignal } from '../../workflows/messages';
import { badRequest } from '../http/problem';
import { problems } from '../schemas/common';
import { FlagParams, FlagRules, FlagSet, SetFlagBody } from '../schemas/flags';

/**
 * Feature flags, apart from deploys: rules per ring or per cell, pushed to every affected cell by
 * its controller (a signal), with no redeploy. A cell whose release does not declare the flag gets
 * it when it arrives on one that does.
 */
const flags: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/flags',
    { config: { role: 'viewer' }, schema: { summary: 'Every flag rule', response: { 200: FlagRules, ...problems(401) } } },
    async () => app.flags.all(),
  );

  app.put(
    '/v1/flags/:flag',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Enable or disable a flag for rings or cells',
        params: FlagParams,
        body: SetFlagBody,
        response: { 200: FlagSet, ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      const { rings = [], cells = [], enabled } = request.body;
      if (rings.length + cells.length === 0) throw badRequest([{ field: 'body', reason: 'name at least one of rings or cells' }]);
      const unknown = [];
      for (const cell of cells) if (!(await controllerRuns(app.temporal, cell))) unknown.push(cell);
      if (unknown.length > 0) throw badRequest(unknown.map((cell) => ({ field: 'body.cells', reason: `cell ${cell} is not registered` })));

      const at = new Date().toISOString();
      const rules: FlagRule[] = [
        ...rings.map((ring) => ({ scope: 'ring' as const, target: ring, enabled, setBy: request.subject, at })),
        ...cells.map((cell) => ({ scope: 'cell' as const, target: cell, enabled, setBy: request.subject, at })),
      ];
      const stored = await app.flags.set(request.params.flag, rules);
      const affected = new Set(cells);
      for (const ring of rings) for (const cell of await ringCellIds(app.temporal, app.taskQueue, ring)) affected.add(cell);
      await Promise.all([...affected].map((cell) => controllerOf(app.temporal, cell).signal(flagsChangedSignal)));
      return { flag: request.params.flag, rules: stored, notified: affected.size };
    },
  );
};

export default flags;
