import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { PortError } from '../../domain/errors';
import type { ApiContext } from '../context';
import { HttpProblem } from '../problem';
import { problems } from '../schemas/common';
import { CatalogRelease, PromoteBody, Release, ReleaseList, ReleaseParams } from '../schemas/releases';
import { ErrorType } from '../../domain/errors';
import { notFound } from '../problem';

export async function releaseRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/v1/releases',
    { config: { role: 'viewer' }, schema: { summary: 'The release catalog, oldest first', response: { 200: ReleaseList, ...problems(401) } } },
    async () => ctx.catalog.list(),
  );

  api.post(
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
      try {
        const outcome = await ctx.catalog.publish(request.body);
        return reply.status(outcome === 'created' ? 201 : 200).send((await ctx.catalog.get(request.body.version))!);
      } catch (err) {
        if (err instanceof PortError && err.type === 'ReleaseImmutable') throw new HttpProblem(409, 'Release is immutable', err.message);
        throw err;
      }
    },
  );

  api.get(
    '/v1/releases/:version',
    { config: { role: 'viewer' }, schema: { summary: 'One release', params: ReleaseParams, response: { 200: CatalogRelease, ...problems(400, 401, 404) } } },
    async (request) => {
      const release = await ctx.catalog.get(request.params.version);
      if (!release) throw notFound(`release ${request.params.version}`);
      return release;
    },
  );

  api.post(
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
        await ctx.catalog.promote(request.params.version, request.body.ring);
      } catch (err) {
        if (err instanceof PortError && err.type === ErrorType.ReleaseNotFound) throw notFound(`release ${request.params.version}`);
        if (err instanceof PortError && err.type === 'PromotionOrder') throw new HttpProblem(409, 'Promotion out of order', err.message);
        throw err;
      }
      return ctx.catalog.get(request.params.version);
    },
  );
}
