import fp from 'fastify-plugin';
import { HttpProblem } from '../../problem';

/**
 * 405 with an `Allow` header for a method a path does not have (`DELETE /v1/releases`), where the
 * router alone answers 404 as for a path that does not exist. Checked when a request reaches the
 * not-found route, before its body is read, against every route's path as the router matches it
 * (a `:param` is one segment).
 */
export default fp(
  async (app) => {
    const routes: { path: RegExp; method: string }[] = [];
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) routes.push({ path: pathPattern(route.url ?? route.path), method });
    });

    app.addHook('onRequest', async (request, reply) => {
      if (!request.is404) return;
      const path = request.url.split('?')[0];
      const allowed = [...new Set(routes.filter((r) => r.path.test(path)).map((r) => r.method))].sort();
      if (allowed.length === 0) return; // no such path: the not-found handler's 404
      void reply.header('allow', allowed.join(', '));
      throw new HttpProblem(405, 'Method not allowed', `${path} takes ${allowed.join(', ')}, not ${request.method}`);
    });
  },
  { name: 'methods' },
);

function pathPattern(url: string): RegExp {
  const segments = url.split('/').map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${segments.join('/')}$`);
}
