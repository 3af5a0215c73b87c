import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { PortError } from '../../domain/errors';
import type { ApiContext } from '../context';
import { HttpProblem } from '../problem';
import { problems } from '../schemas/common';
import { Release, ReleaseList } from '../schemas/releases';

export async function releaseRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/v1/releases',
    { config: { role: 'viewer' }, schema: { summary: 'The release catalog, oldest first', response: { 200: ReleaseList, ...problems(401) } } },
    async () => ctx.catalog.list(),
  );

  api.post(
    '/v1/releases',
    { config: { role: 'admin' }, schema: { summary: 'Publish a release (immutable once published)', body: Release, response: { 201: Release, 200: Release, ...problems(400, 401, 403, 409) } } },
    async (request, reply) => {
      try {
        const outcome = await ctx.catalog.publish(request.body);
        return reply.status(outcome === 'created' ? 201 : 200).send(request.body);
      } catch (err) {
        if (err instanceof PortError && err.type === 'ReleaseImmutable') throw new HttpProblem(409, 'Release is immutable', err.message);
        throw err;
      }
    },
  );
}
