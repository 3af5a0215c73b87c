import { missingItems, type ConfigValues } from './config';
import type { CatalogRelease } from './release';

/**
 * Why a cell would be held on its way through `hops` for want of configuration (the first hop
 * whose release requires items the cell has no value for), or undefined. The controller asks the
 * same before each hop; stack items are checked in preflight, where the stack is read.
 */
export function configHold(releases: Pick<CatalogRelease, 'version' | 'config'>[], hops: string[], cellId: string, values: ConfigValues): string | undefined {
  for (const hop of hops) {
    const missing = missingItems(releases.find((r) => r.version === hop)?.config ?? [], values);
    if (missing.length > 0) return `cell ${cellId} lacks configuration release ${hop} requires: ${missing.map((m) => `${m.item} (${m.reason})`).join(', ')}`;
  }
  return undefined;
}
