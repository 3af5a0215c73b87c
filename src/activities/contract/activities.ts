// The change contract's records, as an update's wait reads them: what holds the cell's updates
// (its blackouts, the fleet's freezes, a postponement) and the notice it is owed, given here if
// nobody gave it yet (an update asked for directly, or by a desired version).
import type { CellReadModel } from '../../adapters/db/cell-read-model';
import type { ChangeContracts } from '../../adapters/db/change-contract';
import { blackoutApplies, changeOf, nextStart, type ContractFacts } from '../../domain/contract';
import type { ReleaseCatalog } from '../../domain/ports';
import type { MaintenanceWindow } from '../../domain/window';

export interface ContractFactsRequest {
  cellId: string;
  version: string;
  /** who scheduled the update, for the notice (`update saas-eu-1-u4`) */
  why: string;
  window: MaintenanceWindow;
  expectedMs: number;
  /** the asking workflow's clock (epoch ms): the moment notice is given at and overrides are judged at */
  now: number;
}

export function createContractActivities(contracts: ChangeContracts, catalog: ReleaseCatalog, cells: CellReadModel) {
  return {
    /** The contract's facts for an update of the cell to `version` now; the notice given first if it was not. */
    async contractFacts(request: ContractFactsRequest): Promise<ContractFacts> {
      const [row, release] = await Promise.all([cells.get(request.cellId), catalog.get(request.version)]);
      const spec = row?.view.spec ?? { id: request.cellId, ring: 'saas' as const };
      const change = changeOf(release ?? { version: request.version });
      const { now } = request;
      let facts = await contracts.facts(spec, change, new Date(now));
      if (facts.noticeGivenAt === undefined) {
        const first = nextStart({ window: request.window, expectedMs: request.expectedMs, ...facts, noticeGivenAt: now }, now);
        const { notice } = await contracts.giveNotice({ cellId: request.cellId, version: request.version, givenAt: new Date(now).toISOString(), ...('startsAt' in first ? { startsAt: new Date(first.startsAt).toISOString() } : {}), why: request.why });
        facts = { ...facts, noticeGivenAt: Date.parse(notice.givenAt) };
      }
      if (change.emergency) await recordOverridesOf(contracts, request, facts);
      return facts;
    },
  };
}

/**
 * An emergency release starts at once where no blackout of scope `all` holds it: what it overrides
 * now (what would have held a regular release) is recorded, once per cell and release.
 */
async function recordOverridesOf(contracts: ChangeContracts, request: ContractFactsRequest, facts: ContractFacts): Promise<void> {
  const { now } = request;
  const regular = { ...facts.change, emergency: false };
  const ends = now + Math.max(request.expectedMs, 1);
  if (facts.blackouts.some((b) => b.scope === 'all' && Date.parse(b.startsAt) < ends && Date.parse(b.endsAt) > now)) return; // held, overriding nothing yet
  const overrode = [
    ...facts.blackouts.filter((b) => blackoutApplies(b, regular) && Date.parse(b.startsAt) < ends && Date.parse(b.endsAt) > now).map((b) => `${b.cellId ? 'blackout' : 'freeze'} ${b.id} (${b.scope}, until ${b.endsAt}, set by ${b.setBy}: ${b.reason})`),
    ...(facts.postponedUntil !== undefined && facts.postponedUntil > now ? [`the customer's postponement until ${new Date(facts.postponedUntil).toISOString()}`] : []),
    ...((facts.noticeGivenAt ?? now) + facts.noticeMs > now ? [`${facts.noticeMs / 86_400_000} days of notice (given ${new Date(facts.noticeGivenAt ?? now).toISOString()})`] : []),
  ];
  if (overrode.length > 0) await contracts.recordOverride(request.cellId, request.version, overrode, new Date(now));
}

export type ContractActivities = ReturnType<typeof createContractActivities>;
