import fp from 'fastify-plugin';
import { DEFAULT_BUNDLE_LIMITS, type BundleLimits } from '../../../adapters/bundles/limits';

declare module 'fastify' {
  interface FastifyInstance {
    /** what one release bundle upload may be: compressed and unpacked bytes, entries */
    bundleLimits: BundleLimits;
    /** days from publication to an infrastructure update's deadline */
    infraDeadlineDays: number;
  }
}

/** Two weeks, as the infrastructure-update rule says, unless the install says otherwise. */
const DEFAULT_INFRA_DEADLINE_DAYS = 14;

/** The install's rules the routes apply. */
export default fp<{ bundleLimits?: Partial<BundleLimits>; infraDeadlineDays?: number }>(
  async (app, options) => {
    app.decorate('bundleLimits', { ...DEFAULT_BUNDLE_LIMITS, ...options.bundleLimits });
    app.decorate('infraDeadlineDays', options.infraDeadlineDays ?? DEFAULT_INFRA_DEADLINE_DAYS);
  },
  { name: 'limits' },
);
