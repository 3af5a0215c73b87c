import type { FastifyError } from 'fastify';
import fp from 'fastify-plugin';
import { isConnectionLoss } from '../../../adapters/db/patient-pool';
import { HttpProblem, fromTemporal } from '../../http/problem';
import { Problem, ProblemRef } from '../../schemas/common';
import { fieldErrors } from '../../http/validation';

/**
 * problem+json: the shared `Problem` schema routes answer with, and the one error handler, so every
 * error leaves as application/problem+json, never as a bare 500 for a client's mistake.
 */
export default fp(
  async (app) => {
    app.addSchema(Problem);

    // Every error a route can answer, declared as application/problem+json in its schema (so in the
    // OpenAPI document): those it names, 400 when it validates input, 401 and 403 behind a token,
    // 404 for a route naming a resource, 413 and 415 for one taking a body, 429 over the rate
    // limit, 503 when Temporal or the database is unreachable or too slow. (405 belongs to no
    // operation: it answers a method a path does not have, with `Allow`: plugins/app/methods.ts.)
    app.addHook('onRoute', (route) => {
      const schema = (route.schema ??= {}) as { hide?: boolean; body?: unknown; params?: unknown; querystring?: unknown; response?: Record<string, unknown> };
      if (schema.hide) return;
      const response = (schema.response ??= {});
      const statuses = new Set(Object.keys(response).filter((status) => Number(status) >= 400));
      if (schema.body || schema.params || schema.querystring) statuses.add('400');
      if (route.config?.role) ['401', '403'].forEach((status) => statuses.add(status));
      if (schema.params) statuses.add('404');
      if (schema.body) ['413', '415'].forEach((status) => statuses.add(status));
      if (route.config?.rateLimit !== false) statuses.add('429');
      statuses.add('503');
      for (const status of statuses) response[status] = { description: STATUS_TEXT[status] ?? 'a problem', content: { 'application/problem+json': { schema: ProblemRef } } };
    });

    app.setErrorHandler((err: FastifyError, request, reply) => {
      let problem: HttpProblem;
      if (err instanceof HttpProblem) {
        problem = err;
      } else if (err.validation) {
        const errors = fieldErrors(err.validationContext ?? 'body', err.validation);
        problem = new HttpProblem(400, 'Invalid request', errors.map((e) => `${e.field}: ${e.reason}`).join('; '), { errors });
      } else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        problem = new HttpProblem(413, 'Body too large', `the body is larger than the limit of ${request.routeOptions.bodyLimit} bytes`);
      } else if (err.code === 'FST_ERR_HANDLER_TIMEOUT') {
        problem = new HttpProblem(503, 'Request timed out', `no answer within ${app.requestLimits.timeoutMs} ms (Temporal or the database is slow): the request may still take effect; look before sending it again`);
      } else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
        problem = new HttpProblem(err.statusCode, err.code ?? 'Bad request', err.message);
      } else {
        problem =
          fromTemporal(err, describeTarget(request.url)) ??
          // A write while the database restarts: nothing was changed, and the same request will do later.
          (isConnectionLoss(err) ? new HttpProblem(503, 'Database unavailable', 'the database is unreachable; try again') : new HttpProblem(500, 'Internal error', 'the server failed; see its log'));
        if (problem.status >= 500) request.log.error({ err }, 'request failed');
      }
      if (problem.status === 503) void reply.header('retry-after', '5');
      void reply
        .status(problem.status)
        .type('application/problem+json')
        .send({ type: 'about:blank', title: problem.title, status: problem.status, detail: problem.detail, ...problem.extra });
    });

    // Fastify's own 404 answers application/json in its own shape; this one is a problem like the rest.
    app.setNotFoundHandler((request, reply) => {
      void reply
        .status(404)
        .type('application/problem+json')
        .send({ type: 'about:blank', title: 'Not found', status: 404, detail: `no route ${request.method} ${request.url}` });
    });
  },
  { name: 'problem-json' },
);

const STATUS_TEXT: Record<string, string> = {
  '400': 'invalid input: each field at fault and why',
  '401': 'no valid bearer token',
  '403': "the token's role or cells do not allow this",
  '404': 'no such resource',
  '409': 'the resource is not in a state that takes this',
  '413': 'the body is larger than allowed',
  '415': 'the body is not of a type this route takes',
  '422': 'the request is well-formed but cannot be done (an unknown or vetoed release, an upgrade path)',
  '429': 'more requests a minute than this token (or, without one, this address) may send: try again after Retry-After seconds',
  '503': 'Temporal or the database is unreachable (nothing was changed) or too slow to answer in time: try again (Retry-After)',
};

/** What a URL names, for a problem's detail: "cell a", "update b". */
function describeTarget(url: string): string {
  const [, , kind, id] = url.split('?')[0].split('/');
  if (kind === 'cells' && id) return `cell ${decodeURIComponent(id)}`;
  if (kind === 'updates' && id) return `update ${decodeURIComponent(id)}`;
  return 'the resource';
}
