import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { renderMetrics } from './exposition';
import { problems } from '../../schemas/common';

/** Prometheus' scrape target: a viewer token (Prometheus' `authorization: {credentials_file: …}`). */
const metrics: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/metrics',
    {
      config: { role: 'viewer' },
      schema: {
        summary: "The fleet, its updates and rollouts, in Prometheus' text format (docs/observability.md names every metric)",
        response: { 200: { description: "Prometheus' text exposition format 0.0.4", content: { 'text/plain': { schema: Type.String() } } }, ...problems(401, 403) },
      },
    },
    async (_request, reply) => {
      const body = await renderMetrics(app.cells, app.updates, app.temporal, app.taskQueue);
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(body);
    },
  );
};

export default metrics;
