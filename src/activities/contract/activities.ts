// The change contract's records, as an update's wait reads them: what holds the cell's updates
// (its blackouts, the fleet's freezes, a postponement) and the notice it is owed, given here if
// nobody gave it yet (an update asked for directly, or by a desired version).
import type { CellReadModel } from '../../adapters/db/cell-read-model';
import type { ChangeContracts } from '../../adapters/db/change-contract';
import { changeOf, nextStart, type ContractFacts } from '../../domain/contract';
import type { ReleaseCatalog } from '../../domain/ports';
import type { MaintenanceWindow } from '../../domain/window';

export interface ContractFactsRequest {
  cellId: string;
  version: string;
  /** who scheduled the update, for the notice (`update saas-eu-1-u4`) */
  why: string;
  window: MaintenanceWindow;
  expectedMs: number;
}

export function createContractActivities(contracts: ChangeContracts, catalog: ReleaseCatalog, cells: CellReadModel) {
  return {
    /** The contract's facts for an update of the cell to `version` now; the notice given first if it was not. */
    async contractFacts(request: ContractFactsRequest): Promise<ContractFacts> {
      const [row, release] = await Promise.all([cells.get(request.cellId), catalog.get(request.version)]);
      const spec = row?.view.spec ?? { id: request.cellId, ring: 'saas' as const };
      const change = changeOf(release ?? { version: request.version });
      let facts = await contracts.facts(spec, change);
      if (facts.noticeGivenAt === undefined) {
        const now = Date.now();
        const first = nextStart({ window: request.window, expectedMs: request.expectedMs, ...facts, noticeGivenAt: now }, now);
        const { notice } = await contracts.giveNotice({ cellId: request.cellId, version: request.version, givenAt: new Date(now).toISOString(), ...('startsAt' in first ? { startsAt: new Date(first.startsAt).toISOString() } : {}), why: request.why });
        facts = { ...facts, noticeGivenAt: Date.parse(notice.givenAt) };
      }
      return facts;
    },
  };
}

export type ContractActivities = ReturnType<typeof createContractActivities>;
