import fp from 'fastify-plugin';
import { DEFAULT_BUNDLE_LIMITS, type BundleLimits } from '../../../adapters/bundles/limits';
import { STRICT_WEBHOOK_TARGETS, type WebhookTargetPolicy } from '../../../adapters/notify/webhook-target';
import type { RequestLimits } from '../../http/request-limits';

declare module 'fastify' {
  interface FastifyInstance {
    /** what one release bundle upload may be: compressed and unpacked bytes, entries */
    bundleLimits: BundleLimits;
    /** days from publication to an infrastructure update's deadline */
    infraDeadlineDays: number;
    /** where a webhook subscription may point (loopback only where the install allows it) */
    webhookTargets: WebhookTargetPolicy;
    /** requests a minute and how long one may take */
    requestLimits: RequestLimits;
  }
}

/** Two weeks, as the infrastructure-update rule says, unless the install says otherwise. */
const DEFAULT_INFRA_DEADLINE_DAYS = 14;

/** The install's rules the routes apply. */
export default fp<{ bundleLimits?: Partial<BundleLimits>; infraDeadlineDays?: number; webhookTargets?: WebhookTargetPolicy; requestLimits: RequestLimits }>(
  async (app, options) => {
    app.decorate('bundleLimits', { ...DEFAULT_BUNDLE_LIMITS, ...options.bundleLimits });
    app.decorate('infraDeadlineDays', options.infraDeadlineDays ?? DEFAULT_INFRA_DEADLINE_DAYS);
    app.decorate('webhookTargets', options.webhookTargets ?? STRICT_WEBHOOK_TARGETS);
    app.decorate('requestLimits', options.requestLimits);
  },
  { name: 'limits' },
);
