import type { FastifyError } from 'fastify';
import fp from 'fastify-plugin';
import { isConnectionLoss } from '../../../adapters/db/patient-pool';
import { HttpProblem, fromTemporal } from '../../problem';
import { Problem } from '../../schemas/common';
import { fieldErrors } from '../../validation';

/**
 * problem+json: the shared `Problem` schema routes answer with, and the one error handler, so every
 * error leaves as application/problem+json, never as a bare 500 for a client's mistake.
 */
export default fp(
  async (app) => {
    app.addSchema(Problem);

    app.setErrorHandler((err: FastifyError, request, reply) => {
      let problem: HttpProblem;
      if (err instanceof HttpProblem) {
        problem = err;
      } else if (err.validation) {
        const errors = fieldErrors(err.validationContext ?? 'body', err.validation);
        problem = new HttpProblem(400, 'Invalid request', errors.map((e) => `${e.field}: ${e.reason}`).join('; '), { errors });
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

/** What a URL names, for a problem's detail: "cell a", "update b". */
function describeTarget(url: string): string {
  const [, , kind, id] = url.split('?')[0].split('/');
  if (kind === 'cells' && id) return `cell ${decodeURIComponent(id)}`;
  if (kind === 'updates' && id) return `update ${decodeURIComponent(id)}`;
  return 'the resource';
}
