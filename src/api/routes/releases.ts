import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorType, PortError } from '../../domain/errors';
import { compareVersions } from '../../domain/version';
import { vetoRelease } from '../../temporal/veto';
import { badRequest, HttpProblem, notFound } from '../problem';
import { problems } from '../schemas/common';
import { CatalogRelease, PromoteBody, Release, ReleaseListQuery, ReleasePage, ReleaseParams, VetoBody } from '../schemas/releases';

/** The release catalog: publish (immutable), read, promote ring by ring, veto. */
const releases: FastifyPluginAsyncTypebox = async (app) => {
  const { catalog } = app;
  /** The cells that run a version, from the read model. */
  const cellsOn = async (version: string) => (await app.cells.list({ version }, 1000)).cells.map((c) => c.id);

  app.get(
    '/v1/releases',
    {
      config: { role: 'viewer' },
      schema: { summary: 'The release catalog, oldest first, a page at a time, without manifests', querystring: ReleaseListQuery, response: { 200: ReleasePage, ...problems(400, 401) } },
    },
    async (request) => {
      const pageSize = request.query.pageSize ?? 100;
      const after = request.query.pageToken ? app.pageTokens.open<{ after: string }>(request.query.pageToken, 'query.pageToken').after : undefined;
      const rest = (await catalog.list()).filter((r) => after === undefined || compareVersions(r.version, after) > 0);
      const releases = rest.slice(0, pageSize).map(({ manifests, ...summary }) => ({ ...summary, manifestCount: manifests?.length ?? 0 }));
      return { releases, ...(rest.length > pageSize ? { nextPageToken: app.pageTokens.seal({ after: releases.at(-1)!.version }) } : {}) };
    },
  );

  app.post(
    '/v1/releases',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Publish a release (immutable once published; visible to no ring until promoted)',
        body: Release,
        response: { 201: CatalogRelease, 200: CatalogRelease, ...problems(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const strays = Object.keys(request.body.workloadSelectors ?? {}).filter((component) => !Object.hasOwn(request.body.components, component));
      if (strays.length > 0) throw badRequest(strays.map((component) => ({ field: `body.workloadSelectors.${component}`, reason: `${component} is not a component of the release` })));
      try {
        const outcome = await catalog.publish(request.body);
        return reply.status(outcome === 'created' ? 201 : 200).send((await catalog.get(request.body.version))!);
      } catch (err) {
        if (err instanceof PortError && err.type === ErrorType.ReleaseImmutable) throw new HttpProblem(409, 'Release is immutable', err.message);
        throw err;
      }
    },
  );

  app.get(
    '/v1/releases/:version',
    { config: { role: 'viewer' }, schema: { summary: 'One release', params: ReleaseParams, response: { 200: CatalogRelease, ...problems(400, 401, 404) } } },
    async (request) => {
      const release = await catalog.get(request.params.version);
      if (!release) throw notFound(`release ${request.params.version}`);
      return release.veto ? { ...release, cellsOnIt: await cellsOn(release.version) } : release;
    },
  );

  app.post(
    '/v1/releases/:version/veto',
    {
      config: { role: 'admin' },
      schema: {
        summary:
          'Stop a bad release everywhere: never offered, installed, rolled out or accepted in a bundle again; its rollout starts no more cells; updates to it waiting for a window or an approval are cancelled',
        params: ReleaseParams,
        body: VetoBody,
        response: { 200: CatalogRelease, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { version } = request.params;
      // Called again, it finds the veto recorded and its sweep started: a call lost on the way can be repeated.
      const veto = await vetoRelease(app.temporal, app.taskQueue, catalog, version, { by: request.subject, reason: request.body.reason, at: new Date().toISOString() });
      if (!veto) throw notFound(`release ${version}`);
      request.log.warn({ version, veto }, 'release vetoed');
      return { ...(await catalog.get(version))!, cellsOnIt: await cellsOn(version) };
    },
  );

  app.post(
    '/v1/releases/:version/promote',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Make a release visible to a ring: staging, then saas, then dedicated',
        params: ReleaseParams,
        body: PromoteBody,
        response: { 200: CatalogRelease, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      try {
        await catalog.promote(request.params.version, request.body.ring);
      } catch (err) {
        if (err instanceof PortError && err.type === ErrorType.ReleaseNotFound) throw notFound(`release ${request.params.version}`);
        if (err instanceof PortError && err.type === ErrorType.PromotionOrder) throw new HttpProblem(409, 'Promotion out of order', err.message);
        throw err;
      }
      return catalog.get(request.params.version);
    },
  );
};

export default releases;
