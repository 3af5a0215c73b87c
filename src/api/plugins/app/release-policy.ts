import fp from 'fastify-plugin';
import { VendorKeys } from '../../../crypto/release-signature';
import type { Ring } from '../../../domain/release';

/** What the install asks of releases (docs/releases.md). */
export interface ReleasePolicy {
  /** the vendor's public keys (PEM): a signature is checked against them at publish */
  vendorKeys: string[];
  /** rings an unsigned release may be promoted to; none: every release must be signed */
  unsignedRings: Ring[];
  /** rings whose releases must name every image by digest */
  digestPinnedRings: Ring[];
}

declare module 'fastify' {
  interface FastifyInstance {
    releasePolicy: Omit<ReleasePolicy, 'vendorKeys'> & { vendorKeys: VendorKeys };
  }
}

export default fp<ReleasePolicy>(
  async (app, policy) => {
    app.decorate('releasePolicy', { ...policy, vendorKeys: new VendorKeys(policy.vendorKeys) });
  },
  { name: 'release-policy' },
);
