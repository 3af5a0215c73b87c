// What a rollout would do, before it starts: per ring and per cell, when each would start and end,
// which would be held and why, which need stepping stones; from the read model and the catalog,
// through the same scheduling function the rollout runs (domain/schedule.ts).
import type { FastifyInstance } from 'fastify';
import type { CellView } from '../../../domain/cell';
import { visibleReleases } from '../../../domain/channels';
import type { Ring } from '../../../domain/release';
import { planRollout, type RingFleet, type RingPolicy } from '../../../domain/schedule';
import { configHold } from '../../../domain/config-hold';
import { changeOf, lagRefusal } from '../../../domain/contract';
import { planUpgrade } from '../../../domain/upgrade-path';

export interface PlanRequest {
  version: string;
  rings: Ring[];
  policy: RingPolicy;
  bakeMs: number;
  approvalBetweenRings: boolean;
}

export async function rolloutPlan(ctx: Pick<FastifyInstance, 'cells' | 'catalog' | 'configs' | 'contracts'>, request: PlanRequest, now = Date.now()) {
  const releases = await ctx.catalog.list();
  // Each cell's change contract, as the rollout will read it when it starts (notice not given yet: given at its start).
  const change = changeOf(releases.find((r) => r.version === request.version) ?? { version: request.version });
  const rows = await ctx.cells.ringViews(request.rings);
  const steps = new Map<string, string[]>();
  const upToDate = new Map<string, string[]>(request.rings.map((r) => [r, []]));
  const fleet: RingFleet[] = request.rings.map((ring) => ({ ring, cells: [], held: [] }));
  // The cell's values are read only where a hop's release requires items at all.
  const requiring = new Set(releases.filter((r) => configHold([r], [r.version], '', {})).map((r) => r.version));
  const configHoldOf = async (cellId: string, hops: string[]) => (hops.some((h) => requiring.has(h)) ? configHold(releases, hops, cellId, (await ctx.configs.current(cellId)).values) : undefined);
  for (const { view, agentStatus } of rows) {
    const ring = fleet.find((r) => r.ring === view.spec.ring)!;
    if (view.version === request.version) {
      upToDate.get(ring.ring)!.push(view.spec.id);
      continue;
    }
    const usable = view.spec.airGapped ? visibleReleases(releases, { ring: view.spec.ring, airGapped: true }) : releases;
    const path = planUpgrade(view.version, request.version, usable);
    // A hop whose release requires configuration the cell lacks holds it there, as the rollout would.
    const lag = view.spec.contract?.lag ?? 0;
    const lagging = lag > 0 ? lagRefusal(request.version, visibleReleases(releases, { ring: view.spec.ring, airGapped: view.spec.airGapped }), lag) : undefined;
    const reason = holdReason(view, agentStatus) ?? lagging ?? (path.ok ? await configHoldOf(view.spec.id, path.plan) : path.reason);
    if (reason || !path.ok) {
      ring.held.push({ id: view.spec.id, reason: reason! });
      continue;
    }
    steps.set(view.spec.id, path.plan);
    // Each stepping stone is an update of its own, one after the other.
    ring.cells.push({ id: view.spec.id, window: view.spec.maintenanceWindow, expectedMs: view.spec.expectedUpdateMinutes * 60_000 * path.plan.length, contract: await ctx.contracts.facts(view.spec, change, new Date(now)) });
  }
  const plan = planRollout(fleet, { policy: request.policy, bakeMs: request.bakeMs, approvalBetweenRings: request.approvalBetweenRings }, now);
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    version: request.version,
    startsAt: iso(now),
    endsAt: iso(plan.endsAt),
    rings: plan.rings.map((ring) => ({
      ring: ring.ring,
      startsAt: iso(ring.startsAt),
      endsAt: iso(ring.endsAt),
      ...(ring.bakedAt !== undefined ? { canariesBakedAt: iso(ring.bakedAt) } : {}),
      waitsForApproval: ring.waitsForApproval,
      cells: ring.cells.map((c) => {
        const stones = steps.get(c.id)!.slice(0, -1);
        return { id: c.id, ...(c.canary ? { canary: true } : {}), startsAt: iso(c.startsAt), endsAt: iso(c.endsAt), ...(stones.length > 0 ? { steppingStones: stones } : {}) };
      }),
      held: ring.held,
      upToDate: upToDate.get(ring.ring)!,
    })),
  };
}

/** Why a cell would not take a release now, as far as the read model tells. */
function holdReason(view: CellView, agentStatus: string | null): string | undefined {
  if (view.state === 'drifted') return `drifted: the cluster runs ${view.drift?.actual ?? 'an unknown version'}, not ${view.drift?.recorded ?? view.version}`;
  if (view.state !== 'ready' && view.state !== 'updating') return `not ready: ${view.state}`;
  if (view.sla === 'out-of-sla') return 'out of SLA: an overdue infrastructure update holds app updates';
  if (view.spec.connection === 'agent' && agentStatus !== 'online') return `agent ${agentStatus ?? 'never-seen'}`;
  return undefined;
}
