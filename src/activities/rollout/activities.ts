import { setMaxListeners } from 'node:events';
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateStage, ApplicationFailure, type Client } from '@temporalio/client';
import pLimit from 'p-limit';
import type { CellReadModel } from '../../adapters/db/cell-read-model';
import type { ChangeContracts } from '../../adapters/db/change-contract';
import { visibleReleases } from '../../domain/channels';
import { changeOf, lagRefusal, nextStart } from '../../domain/contract';
import type { ClusterRef } from '../../domain/cell';
import type { SchedulableCell } from '../../domain/schedule';
import { ErrorType } from '../../domain/errors';
import { judgeHealth } from '../../domain/health';
import type { ReleaseCatalog } from '../../domain/ports';
import type { Ring } from '../../domain/release';
import type { CellOutcome } from '../../domain/rollout';
import { DEFAULT_LIVE } from '../../domain/strategy-options';
import { releasesOnPathTo } from '../../domain/upgrade-path';
import { cellOutcomesSignal, cellStatusQuery, requestRollback, setDesiredVersion, type DesiredVersionRequest } from '../../workflows/messages';
import { RingKey } from '../../workflows/search-attributes';
import type { ClusterResolver } from '../update/activities';
import { controllerOf } from '../../workflows/cell/client';
import { rolloutOf } from '../../workflows/rollout/client';

/** A cell of a rollout as its scheduler sees it. */
export type RolloutCell = SchedulableCell;

const ALWAYS_OPEN: SchedulableCell['window'] = { days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '00:00', durationMinutes: 7 * 24 * 60, timezone: 'UTC' };

/** the most requests a wave sends at once */
const WAVE_REQUESTS_AT_ONCE = 100;
/** how often a wave's activity tells the rollout which cells ended (and heartbeats them) */
const OUTCOMES_EVERY_MS = 1000;
/** the most cells a ring's health check reaches at once (each its own cluster) */
const HEALTH_CHECKS_AT_ONCE = 32;
/** the most rollbacks requested at once after an abort */
const ROLLBACKS_AT_ONCE = 16;

/** A cell's health after its ring's bake; an agent cell's is read through its agent, by the rollout. */
export type RingHealth = { cellId: string; ok: boolean; reason: string } | { cellId: string; throughAgent: ClusterRef };

/** A controller's refusal of a rollout's request, as the cell's outcome; anything else is thrown (and retried). */
function refusal(cellId: string, err: unknown): CellOutcome {
  const at = new Date().toISOString();
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    if (err.cause.type === ErrorType.AlreadyInstalled) return { cellId, outcome: 'succeeded', at };
    return { cellId, outcome: err.cause.type === ErrorType.UpdatesHeld ? 'held' : 'failed', error: err.cause.message, at };
  }
  if (err instanceof WorkflowNotFoundError) return { cellId, outcome: 'failed', error: `cell ${cellId} is no longer registered`, at };
  throw err;
}

/** `work` for every cell, at most `atOnce` at a time, heartbeating as each ends; results in the cells' order. */
function eachCell<T>(cellIds: string[], atOnce: number, work: (cellId: string) => Promise<T>): Promise<T[]> {
  const activity = Context.current();
  const limit = pLimit(atOnce);
  return Promise.all(
    cellIds.map((cellId) =>
      limit(async () => {
        const result = await work(cellId);
        activity.heartbeat();
        return result;
      }),
    ),
  );
}

/** The fleet as a rollout sees it: cells by ring, desired versions set through each cell's controller. */
export function createFleetActivities(client: Client, resolveCluster: ClusterResolver, catalog: ReleaseCatalog, cellReadModel: CellReadModel, contracts: ChangeContracts) {
  /** Every registered cell of each ring served by this task queue (this cellshift), from one listing of Temporal's visibility, sorted by id. */
  async function listFleetCells(rings: Ring[]): Promise<string[][]> {
    const byRing = new Map<string, string[]>(rings.map((ring) => [ring, []]));
    const taskQueue = Context.current().info.taskQueue;
    const query = `WorkflowType = 'cellController' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue}' AND Ring IN (${rings.map((r) => `'${r}'`).join(', ')})`;
    for await (const execution of client.workflow.list({ query })) {
      byRing.get(execution.typedSearchAttributes.get(RingKey) ?? '')?.push(execution.workflowId.replace(/^cell\//, ''));
    }
    return rings.map((ring) => byRing.get(ring)!.sort());
  }

  return {
    /**
     * The cells of each ring (its running controllers, from visibility) with what scheduling them
     * needs: each one's maintenance window and expected update time, from the read model. A cell
     * the read model does not know yet is scheduled as if its window were always open: its
     * controller still waits for the window itself. `onVersion` (a rollback rollout): only the
     * cells the read model has on that version.
     */
    async listRolloutCells(rings: Ring[], onVersion?: string, notice?: { rolloutId: string; version: string; ignoreWindows?: boolean }): Promise<RolloutCell[][]> {
      const ids = await listFleetCells(rings);
      const views = new Map((await cellReadModel.ringViews(rings)).map(({ view }) => [view.spec.id, view]));
      const release = notice ? await catalog.get(notice.version) : undefined;
      const listed = ids.map((ring) =>
        ring.flatMap((id): RolloutCell[] => {
          const view = views.get(id);
          if (onVersion !== undefined) return view?.version === onVersion ? [{ id, window: view.spec.maintenanceWindow, expectedMs: 0 }] : [];
          const spec = view?.spec;
          return [spec ? { id, window: spec.maintenanceWindow, expectedMs: spec.expectedUpdateMinutes * 60_000 } : { id, window: ALWAYS_OPEN, expectedMs: 0 }];
        }),
      );
      if (!notice || onVersion !== undefined) return listed;
      // Each cell's change contract as its records say now, and the notice of this rollout given to
      // every cell not told yet (its first start the contract allows, were it alone).
      const change = changeOf(release ?? { version: notice.version });
      const activity = Context.current();
      const now = Date.now();
      const catalogued = await catalog.list();
      for (const cell of listed.flat()) {
        const spec = views.get(cell.id)?.spec;
        if (!spec || views.get(cell.id)?.version === notice.version) continue;
        // A cell that lags its ring will not take this release (its controller holds it): it is not told of it.
        const lag = spec.contract?.lag ?? 0;
        if (lag > 0 && lagRefusal(notice.version, visibleReleases(catalogued, { ring: spec.ring, airGapped: spec.airGapped }), lag)) continue;
        let facts = await contracts.facts(spec, change, new Date(now));
        if (facts.noticeGivenAt === undefined) {
          const first = nextStart({ window: cell.window, expectedMs: cell.expectedMs, ignoreWindows: notice.ignoreWindows, ...facts, noticeGivenAt: now }, now);
          const given = await contracts.giveNotice({ cellId: cell.id, version: notice.version, givenAt: new Date(now).toISOString(), ...('startsAt' in first ? { startsAt: new Date(first.startsAt).toISOString() } : {}), why: `rollout ${notice.rolloutId}` });
          facts = { ...facts, noticeGivenAt: Date.parse(given.notice.givenAt) };
        }
        cell.contract = facts;
        activity.heartbeat();
      }
      return listed;
    },

    /** (rollouts started by 0.1.0 list ids only) */
    listFleetCells,

    /**
     * One wave: sets the release as each cell's desired version on behalf of the rollout, and
     * waits for every cell to get there or stop. The controllers update with their own strategy
     * and window, and answer each request when their cell ends: this activity tells the rollout
     * which cells ended, in a batch every second, and returns them all. A drifted or held cell, or
     * one that cannot take the release, is answered at once. Retried, it asks again; a controller
     * that already answered answers the same. A vetoed release asks no cell (ReleaseVetoed);
     * `rollback`: each cell on `version` goes back to what it ran before.
     */
    async updateCells(rolloutId: string, version: string, cellIds: string[], requestedBy: string, window?: 'now', rollback?: boolean): Promise<CellOutcome[]> {
      const activity = Context.current();
      const catalogued = await catalog.list();
      const veto = catalogued.find((r) => r.version === version)?.veto;
      if (veto && !rollback) {
        throw ApplicationFailure.create({ type: ErrorType.ReleaseVetoed, message: `release ${version} was vetoed by ${veto.by} at ${veto.at}: ${veto.reason}`, details: [veto], nonRetryable: true });
      }
      // Only what a plan to the release can use: the request stays small however long the catalog grows.
      const releases = rollback ? [] : releasesOnPathTo(version, catalogued);
      const request: DesiredVersionRequest = { version, requestedBy, rolloutId, releases, ...(window ? { window } : {}), ...(rollback ? { rollback } : {}) };
      const ended = new Map<string, CellOutcome>();
      let untold: CellOutcome[] = [];
      let telling = Promise.resolve();
      const tell = () => {
        const batch = untold;
        untold = [];
        // The rollout also gets every outcome in this activity's result: a batch lost on the way is
        // not. A single cell's outcome is told by that result alone (one workflow task, not two).
        if (batch.length > 0 && cellIds.length > 1) telling = telling.then(() => rolloutOf(client, rolloutId).signal(cellOutcomesSignal, batch)).catch(() => undefined);
        activity.heartbeat();
      };
      const ticker = setInterval(tell, OUTCOMES_EVERY_MS);
      const starting = pLimit(WAVE_REQUESTS_AT_ONCE);

      async function settle(cellId: string): Promise<void> {
        const handle = controllerOf(client, cellId);
        let outcome: CellOutcome | undefined;
        // Unanswered only when the controller continued as new while its cell updated: ask its next run.
        for (let ask = 1; !outcome; ask++) {
          try {
            const updateId = `${rolloutId}/${ask}`;
            const pending = await starting(() => handle.startUpdate(setDesiredVersion, { args: [request], updateId, waitForStage: WorkflowUpdateStage.ACCEPTED }));
            outcome = (await pending.result()).outcome;
          } catch (err) {
            outcome = refusal(cellId, err);
          }
          if (!outcome) await new Promise((resolve) => setTimeout(resolve, OUTCOMES_EVERY_MS));
        }
        ended.set(cellId, outcome);
        untold.push(outcome);
      }

      try {
        // A cancelled wave (an abort, a worker shutting down) stops asking and waiting at once;
        // every one of the wave's calls listens to that one signal.
        setMaxListeners(0, activity.cancellationSignal);
        await Promise.race([client.withAbortSignal(activity.cancellationSignal, () => Promise.all(cellIds.map(settle))), activity.cancelled]);
      } finally {
        clearInterval(ticker);
      }
      await telling;
      return cellIds.map((id) => ended.get(id)!);
    },

    /**
     * One health check per cell, judged against the live strategy's default thresholds. A cell
     * whose cluster the rollout knows (from its outcome) is checked directly; the others' controllers
     * are asked where they run.
     */
    async ringHealth(cellIds: string[], clusters: Record<string, ClusterRef> = {}): Promise<RingHealth[]> {
      const activity = Context.current();
      setMaxListeners(0, activity.cancellationSignal); // each check in flight listens to it
      return eachCell(cellIds, HEALTH_CHECKS_AT_ONCE, async (cellId): Promise<RingHealth> => {
        let cluster = clusters[cellId];
        if (!cluster) {
          const { spec } = await controllerOf(client, cellId).query(cellStatusQuery);
          // Only the cell's agent reaches its cluster: the rollout checks it there.
          if (spec.connection === 'agent') return { cellId, throughAgent: spec.cluster };
          cluster = spec.cluster;
        }
        const report = await (await resolveCluster(cluster)).checkHealth({ cellId, cluster }, { heartbeat: (d) => activity.heartbeat(d), signal: activity.cancellationSignal });
        return { cellId, ...judgeHealth(report, DEFAULT_LIVE.analysis) };
      });
    },

    /** Rolls cells back to their previous version through their controllers (after an abort); a refusal is that cell's answer. */
    async rollbackCells(cellIds: string[], requestedBy: string): Promise<{ cellId: string; updateId?: string; error?: string }[]> {
      return eachCell(cellIds, ROLLBACKS_AT_ONCE, async (cellId) => {
        try {
          const accepted = await controllerOf(client, cellId).executeUpdate(requestRollback, { args: [{ requestedBy }] });
          return { cellId, updateId: accepted.id };
        } catch (err) {
          if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) return { cellId, error: err.cause.message };
          if (err instanceof WorkflowNotFoundError) return { cellId, error: `cell ${cellId} is no longer registered` };
          throw err;
        }
      });
    },
  };
}

export type FleetActivities = ReturnType<typeof createFleetActivities>;
