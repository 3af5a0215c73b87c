import fp from 'fastify-plugin';
import { DEFAULT_BUNDLE_LIMIT_BYTES } from '../../../config';

declare module 'fastify' {
  interface FastifyInstance {
    /** the largest release bundle an upload may be, in compressed bytes */
    bundleLimitBytes: number;
    /** days from publication to an infrastructure update's deadline */
    infraDeadlineDays: number;
  }
}

/** Two weeks, as the infrastructure-update rule says, unless the install says otherwise. */
const DEFAULT_INFRA_DEADLINE_DAYS = 14;

/** The install's rules the routes apply. */
export default fp<{ bundleLimitBytes?: number; infraDeadlineDays?: number }>(
  async (app, options) => {
    app.decorate('bundleLimitBytes', options.bundleLimitBytes ?? DEFAULT_BUNDLE_LIMIT_BYTES);
    app.decorate('infraDeadlineDays', options.infraDeadlineDays ?? DEFAULT_INFRA_DEADLINE_DAYS);
  },
  { name: 'limits' },
);
