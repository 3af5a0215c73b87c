import fp from 'fastify-plugin';
import type { ApiStores } from '../../stores';

declare module 'fastify' {
  // The stores as src/api/stores.ts builds them, each described there.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface FastifyInstance extends ApiStores {}
}

/** What the API reads and writes outside Temporal (src/api/stores.ts), decorated on the app by name. */
export default fp<ApiStores>(
  async (app, stores) => {
    for (const [name, store] of Object.entries(stores)) app.decorate(name, store as unknown);
  },
  { name: 'stores' },
);
