import type { FlagStore } from '../../adapters/flags/flag-store';
import { effectiveFlags, type CellFlag } from '../../domain/flags';
import type { ReleaseCatalog } from '../../domain/ports';
import type { Ring } from '../../domain/release';
import type { ClusterResolver } from '../update/activities';
import { runStep } from '../update/step-context';
import type { ClusterTarget } from '../../domain/ports';

export function createFlagActivities(flags: FlagStore, catalog: ReleaseCatalog, resolve: ClusterResolver) {
  /** The cell's flags: the rules, over the flags its release declares. */
  async function cellFlags(cellId: string, ring: Ring, version: string | undefined): Promise<Record<string, CellFlag>> {
    const declared = version ? ((await catalog.get(version))?.flags ?? []) : [];
    return effectiveFlags({ id: cellId, ring }, declared, await flags.all());
  }

  return {
    cellFlags,
    /** Computes the cell's flags from the rules and its release's declared flags, and pushes them to its cluster. */
    async syncFlags(target: ClusterTarget, ring: Ring, version: string | undefined): Promise<Record<string, CellFlag>> {
      const effective = await cellFlags(target.cellId, ring, version);
      const values = Object.fromEntries(Object.entries(effective).map(([flag, value]) => [flag, value.enabled]));
      await runStep(async (ctx) => (await resolve(target.cluster)).setFlags(target, values, ctx));
      return effective;
    },
  };
}

export type FlagActivities = ReturnType<typeof createFlagActivities>;
