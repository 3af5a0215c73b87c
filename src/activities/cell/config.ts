// The controller's question about a cell's configuration, asked on the control plane before an
// update starts: does the cell have every item the release requires (stack items aside: those are
// read in preflight, where the stack is)? The answer names the items, never their values.
import type { CellConfigStore } from '../../adapters/db/cell-config';
import { configHold } from '../../domain/config-hold';
import type { ReleaseCatalog } from '../../domain/ports';

export function createConfigActivities(configs: CellConfigStore, catalog: ReleaseCatalog) {
  return {
    /** Why the cell cannot take `version` yet for want of configuration, or undefined. */
    async missingConfig(cellId: string, version: string): Promise<string | undefined> {
      const release = await catalog.get(version);
      return configHold(release ? [release] : [], [version], cellId, (await configs.current(cellId)).values);
    },
  };
}

export type ConfigActivities = ReturnType<typeof createConfigActivities>;
