import { setTimeout } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { CellView } from '../../domain/cell';
import { FINAL_STATUSES, type UpdateProgress } from '../../domain/update';
import { controllerOf } from '../../workflows/cell/client';
import { updateOf } from '../../workflows/update/client';
import { cellStatusQuery, progressQuery } from '../../workflows/messages';
import { fromTemporal, notFound } from '../http/problem';

type Reach = Pick<FastifyInstance, 'cells' | 'updates' | 'temporal'>;

/** How long a read waits for a controller to take in the end of its update (after a restart, its task times out first). */
const CATCH_UP_MS = 30_000;

/**
 * A cell's view from the read model. A row its controller has not written yet (the API's own,
 * for a moment after registration; a rebuild's, for a controller started by 0.1.0, which writes
 * none) is read from the controller instead, and so is a row behind its own update: the update
 * has written its end, its controller has not taken it in yet (for seconds after a restart, while
 * the task a stopped worker held times out). Then the read waits for the controller to take it
 * in: the API never shows a cell older than the update it has shown ended.
 */
export async function readCell(ctx: Reach, cellId: string): Promise<CellView> {
  const row = await ctx.cells.get(cellId);
  const ended = row ? await endedUpdate(ctx, row.view) : undefined;
  if (row?.fromWorkflow && !ended) return row.view;
  const deadline = Date.now() + CATCH_UP_MS;
  for (;;) {
    const view = await ask(() => controllerOf(ctx.temporal, cellId).query(cellStatusQuery), row?.view, `cell ${cellId}`);
    // A removed cell's controller answers until the server forgets it: the cell is gone all the same.
    if (view.state === 'removed') throw notFound(`cell ${cellId}`);
    if (!ended || view.currentUpdate?.id !== ended || Date.now() >= deadline) return view;
    await setTimeout(250);
  }
}

/**
 * An update's progress: an ended one from the read model; a running one from the workflow (its
 * steps change faster than the read model is written: only its status is); as for cells, one its
 * workflow has not written is read from the workflow.
 */
export async function readUpdate(ctx: Reach, updateId: string): Promise<UpdateProgress> {
  const row = await ctx.updates.get(updateId);
  if (row?.fromWorkflow && (FINAL_STATUSES as readonly string[]).includes(row.view.status)) return row.view;
  return ask(() => updateOf(ctx.temporal, updateId).query(progressQuery), row?.view, `update ${updateId}`);
}

/** The update the row names as running when its own row says it has ended. */
async function endedUpdate(ctx: Reach, view: CellView): Promise<string | undefined> {
  if (!view.currentUpdate) return undefined;
  const update = await ctx.updates.get(view.currentUpdate.id);
  return update !== undefined && (FINAL_STATUSES as readonly string[]).includes(update.view.status) ? view.currentUpdate.id : undefined;
}

async function ask<T>(query: () => Promise<T>, fallback: T | undefined, what: string): Promise<T> {
  try {
    return await query();
  } catch (err) {
    if (fallback) return fallback;
    throw fromTemporal(err, what) ?? err;
  }
}
