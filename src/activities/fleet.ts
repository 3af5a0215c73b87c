import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateStage, ApplicationFailure, type Client } from '@temporalio/client';
import { ErrorType } from '../domain/errors';
import { judgeHealth } from '../domain/health';
import type { ClusterRef } from '../domain/cell';
import type { ReleaseCatalog } from '../domain/ports';
import type { Ring } from '../domain/release';
import type { CellOutcome } from '../domain/rollout';
import { DEFAULT_LIVE } from '../domain/strategy-options';
import { releasesOnPathTo } from '../domain/upgrade-path';
import { cellWorkflowId, rolloutWorkflowId } from '../workflows/ids';
import { cellOutcomesSignal, cellStatusQuery, requestRollback, setDesiredVersion, type DesiredVersionRequest } from '../workflows/messages';
import { RingKey } from '../workflows/search-attributes';
import type { ClusterResolver } from './cluster';

export type CellStart = { cellId: string; outcome: 'started' | 'already' | 'held' | 'refused'; error?: string };

/** the most requests a wave's start sends at once */
const WAVE_REQUESTS_AT_ONCE = 100;
/** how often a wave's activity tells the rollout which cells ended (and heartbeats them) */
const OUTCOMES_EVERY_MS = 1000;
/** the most cells a ring's health check reaches at once (each its own cluster) */
const HEALTH_CHECKS_AT_ONCE = 32;

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

/** Runs at most `n` of the calls given to it at once. */
function limit(n: number): <T>(call: () => Promise<T>) => Promise<T> {
  let running = 0;
  const queue: (() => void)[] = [];
  return async (call) => {
    if (running >= n) await new Promise<void>((resolve) => queue.push(resolve));
    running++;
    try {
      return await call();
    } finally {
      running--;
      queue.shift()?.();
    }
  };
}

/** Requests to many controllers at once, a few at a time, heartbeating as they go. */
async function eachCell<T>(cellIds: string[], work: (cellId: string) => Promise<T>, parallel = 16): Promise<T[]> {
  const activity = Context.current();
  const results: T[] = new Array(cellIds.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, cellIds.length) }, async () => {
      while (next < cellIds.length) {
        const index = next++;
        results[index] = await work(cellIds[index]);
        activity.heartbeat(index);
      }
    }),
  );
  return results;
}

/** The fleet as a rollout sees it: cells by ring, desired versions set through each cell's controller. */
export function createFleetActivities(client: Client, resolveCluster: ClusterResolver, catalog: ReleaseCatalog) {
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
    /** Every registered cell of each ring served by this task queue (this cellshift), from one listing of Temporal's visibility, sorted by id. */
    listFleetCells,

    /** One ring's cells, for rollouts started before listFleetCells. */
    async listRingCells(ring: Ring): Promise<string[]> {
      return (await listFleetCells([ring]))[0];
    },

    /**
     * One wave: sets the release as each cell's desired version on behalf of the rollout, and
     * waits for every cell to get there or stop. The controllers update with their own strategy
     * and window, and answer each request when their cell ends, so no cell signals the rollout:
     * this activity tells it which cells ended, in a batch every second, and returns them all. A
     * drifted or held cell, or one that cannot take the release, is answered at once. Retried,
     * it asks again; a controller that already answered answers the same.
     */
    async updateCells(rolloutId: string, version: string, cellIds: string[], requestedBy: string, window?: 'now'): Promise<CellOutcome[]> {
      const activity = Context.current();
      // Only what a plan to the release can use: the request stays small however long the catalog grows.
      const releases = releasesOnPathTo(version, await catalog.list());
      const request: DesiredVersionRequest = { version, requestedBy, rolloutId, releases, awaitOutcome: true, ...(window ? { window } : {}) };
      const ended = new Map<string, CellOutcome>();
      let untold: CellOutcome[] = [];
      let telling = Promise.resolve();
      const tell = () => {
        const batch = untold;
        untold = [];
        if (batch.length > 0) telling = telling.then(() => client.workflow.getHandle(rolloutWorkflowId(rolloutId)).signal(cellOutcomesSignal, batch)).catch(() => undefined);
        activity.heartbeat();
      };
      const ticker = setInterval(tell, OUTCOMES_EVERY_MS);
      const starting = limit(WAVE_REQUESTS_AT_ONCE);

      async function settle(cellId: string): Promise<void> {
        const handle = client.workflow.getHandle(cellWorkflowId(cellId));
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
        // A cancelled wave (an abort, a worker shutting down) stops asking and waiting at once.
        await Promise.race([client.withAbortSignal(activity.cancellationSignal, () => Promise.all(cellIds.map(settle))), activity.cancelled]);
      } finally {
        clearInterval(ticker);
      }
      await telling;
      return cellIds.map((id) => ended.get(id)!);
    },

    /**
     * For rollouts started before updateCells: sets the release as each cell's desired version;
     * the controllers update, then signal the rollout. A refusal (already there, held, cannot
     * take the release) is the cell's answer at once, read as updateCells reads it.
     */
    async startCellUpdates(rolloutId: string, version: string, cellIds: string[], requestedBy: string, window?: 'now'): Promise<CellStart[]> {
      const releases = releasesOnPathTo(version, await catalog.list());
      return eachCell(cellIds, async (cellId): Promise<CellStart> => {
        try {
          await client.workflow.getHandle(cellWorkflowId(cellId)).executeUpdate(setDesiredVersion, { args: [{ version, requestedBy, rolloutId, releases, ...(window ? { window } : {}) }] });
          return { cellId, outcome: 'started' };
        } catch (err) {
          const { outcome, error } = refusal(cellId, err);
          return { cellId, outcome: outcome === 'succeeded' ? 'already' : outcome === 'held' ? 'held' : 'refused', ...(error ? { error } : {}) };
        }
      }, WAVE_REQUESTS_AT_ONCE);
    },

    /**
     * One health check per cell, judged against the live strategy's default thresholds. A cell
     * whose cluster the rollout knows (from its report) is checked directly; the others' controllers
     * are asked where they run.
     */
    async ringHealth(cellIds: string[], clusters: Record<string, ClusterRef> = {}): Promise<{ cellId: string; ok: boolean; reason: string }[]> {
      return eachCell(
        cellIds,
        async (cellId) => {
          const cluster = clusters[cellId] ?? (await client.workflow.getHandle(cellWorkflowId(cellId)).query(cellStatusQuery)).spec.cluster;
          const activity = Context.current();
          const report = await (await resolveCluster(cluster)).checkHealth({ cellId, cluster }, {
            heartbeat: (d) => activity.heartbeat(d),
            signal: activity.cancellationSignal,
          });
          return { cellId, ...judgeHealth(report, DEFAULT_LIVE.analysis) };
        },
        HEALTH_CHECKS_AT_ONCE,
      );
    },

    /** Rolls cells back to their previous version through their controllers (after an abort). */
    async rollbackCells(cellIds: string[], requestedBy: string): Promise<{ cellId: string; updateId?: string; error?: string }[]> {
      return eachCell(cellIds, async (cellId) => {
        try {
          const accepted = await client.workflow.getHandle(cellWorkflowId(cellId)).executeUpdate(requestRollback, { args: [{ requestedBy }] });
          return { cellId, updateId: accepted.id };
        } catch (err) {
          return { cellId, error: (err as Error).message };
        }
      });
    },
  };
}
