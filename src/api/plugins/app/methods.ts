import fp from 'fastify-plugin';
import { HttpProblem } from '../../http/problem';

/**
 * 405 with an `Allow` header for a method a path does not have (`DELETE /v1/releases`), where the
 * router alone answers 404 as for a path that does not exist. Checked before a request's body is
 * read, against every route's path as the router matches it (a `:param` is one segment); where
 * several match, the resource is the most specific: `GET /v1/rollouts/plan` is 405 (the plan is
 * POST only), not `GET /v1/rollouts/:rolloutId` with a rollout id that cannot be.
 */
export default fp(
  async (app) => {
    const routes: { path: RegExp; rank: string; method: string }[] = [];
    app.addHook('onRoute', (route) => {
      const url = route.url ?? route.path;
      for (const method of [route.method].flat()) routes.push({ path: pathPattern(url), rank: specificity(url), method });
    });

    app.addHook('onRequest', async (request, reply) => {
      const routed = request.is404 ? undefined : request.routeOptions.url;
      if (routed !== undefined && !routed.includes(':')) return; // a path of its own: nothing more specific can match
      const path = request.url.split('?')[0];
      const matching = routes.filter((r) => r.path.test(path));
      const best = matching.reduce((top, r) => (r.rank > top ? r.rank : top), '');
      if (routed !== undefined && specificity(routed) === best) return; // the router found the path's own route
      const allowed = [...new Set(matching.filter((r) => r.rank === best).map((r) => r.method))].sort();
      if (allowed.length === 0) return; // no such path: the not-found handler's 404
      void reply.header('allow', allowed.join(', '));
      throw new HttpProblem(405, 'Method not allowed', `${path} takes ${allowed.join(', ')}, not ${request.method}`);
    });
  },
  { name: 'methods' },
);

/** Segment by segment, a static one before a `:param` before a wildcard: compared as strings. */
function specificity(url: string): string {
  return url
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '1' : segment === '*' ? '0' : '2'))
    .join('');
}

function pathPattern(url: string): RegExp {
  const segments = url.split('/').map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${segments.join('/')}$`);
}
