import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpProblem } from '../../http/problem';
import type { RequestLimits } from '../../http/request-limits';

/**
 * Requests a minute, per token subject where the route takes a token (its hook runs after auth's,
 * being the route's own), per client address otherwise; over it, 429 with Retry-After. A route
 * sets its own with `config.rateLimit` (agent registration: tighter; /healthz: none). The counts
 * are this process's: each API replica counts alone. Requests refused 401 are not counted.
 */
export default fp<RequestLimits>(
  async (app, limits) => {
    await app.register(rateLimit, {
      timeWindow: 60_000,
      keyGenerator: clientKey,
      max: async (_request, key) => (key.startsWith('subject:') ? limits.perMinute : limits.anonymousPerMinute),
      errorResponseBuilder: (request, context) =>
        new HttpProblem(429, 'Too many requests', `more than ${context.max} requests a minute ${request.subject ? `with the token of ${request.subject}` : 'from this address'}; retry in ${Math.ceil(context.ttl / 1000)} s (Retry-After)`),
    });
  },
  { name: 'rate-limit' },
);

function clientKey(request: FastifyRequest): string {
  return request.subject ? `subject:${request.subject}` : `ip:${normalizeIP(request.ip)}`;
}
