import type { FastifyInstance } from 'fastify';
import type { CellView } from '../domain/cell';
import { FINAL_STATUSES, type UpdateProgress } from '../domain/update';
import { cellWorkflowId, updateWorkflowId } from '../workflows/ids';
import { cellStatusQuery, progressQuery } from '../workflows/messages';
import { fromTemporal, notFound } from './problem';

type Reach = Pick<FastifyInstance, 'cells' | 'updates' | 'temporal'>;

/**
 * A cell's view from the read model. A row its controller has not written yet (the API's own,
 * for a moment after registration; a rebuild's, for a controller started by 0.1.0, which writes
 * none) is read from the controller instead, and so is a row behind its own update: the update
 * has written its end, its controller has not taken it in yet (for seconds after a restart, while
 * the task a stopped worker held times out). The read model never answers older than Temporal.
 */
export async function readCell(ctx: Reach, cellId: string): Promise<CellView> {
  const row = await ctx.cells.get(cellId);
  if (row?.fromWorkflow && !(await behindItsUpdate(ctx, row.view))) return row.view;
  const view = await ask(() => ctx.temporal.workflow.getHandle(cellWorkflowId(cellId)).query(cellStatusQuery), row?.view, `cell ${cellId}`);
  // A removed cell's controller answers until the server forgets it: the cell is gone all the same.
  if (view.state === 'removed') throw notFound(`cell ${cellId}`);
  return view;
}

/**
 * An update's progress: an ended one from the read model; a running one from the workflow (its
 * steps change faster than the read model is written: only its status is); as for cells, one its
 * workflow has not written is read from the workflow.
 */
export async function readUpdate(ctx: Reach, updateId: string): Promise<UpdateProgress> {
  const row = await ctx.updates.get(updateId);
  if (row?.fromWorkflow && (FINAL_STATUSES as readonly string[]).includes(row.view.status)) return row.view;
  return ask(() => ctx.temporal.workflow.getHandle(updateWorkflowId(updateId)).query(progressQuery), row?.view, `update ${updateId}`);
}

/** The row names an update as running that its own row says has ended. */
async function behindItsUpdate(ctx: Reach, view: CellView): Promise<boolean> {
  if (!view.currentUpdate) return false;
  const update = await ctx.updates.get(view.currentUpdate.id);
  return update !== undefined && (FINAL_STATUSES as readonly string[]).includes(update.view.status);
}

async function ask<T>(query: () => Promise<T>, fallback: T | undefined, what: string): Promise<T> {
  try {
    return await query();
  } catch (err) {
    if (fallback) return fallback;
    throw fromTemporal(err, what) ?? err;
  }
}
