import type { FastifyInstance } from 'fastify';
import type { CellView } from '../domain/cell';
import type { UpdateProgress } from '../domain/update';
import { updateWorkflowId } from '../workflows/ids';
import { progressQuery } from '../workflows/messages';

/**
 * Whether a cell is in maintenance mode. While an update runs, the update knows (its progress
 * says so; a staging-first update's primary update does the switching); otherwise the controller
 * does (a cell left in maintenance by an abandoned compensation). An update that cannot be asked
 * leaves the controller's answer.
 */
export async function withMaintenance(ctx: Pick<FastifyInstance, 'temporal'>, view: CellView): Promise<CellView> {
  const running = view.currentUpdate?.id;
  if (view.maintenance.enabled || !running || running === 'pending') return view;
  const progress = await ask(ctx, running);
  const primary = progress?.steps.find((s) => s.name === 'primary')?.updateId;
  const enabled = progress?.maintenance ?? (primary ? (await ask(ctx, primary))?.maintenance : undefined);
  return enabled ? { ...view, maintenance: { enabled } } : view;
}

async function ask(ctx: Pick<FastifyInstance, 'temporal'>, updateId: string): Promise<UpdateProgress | undefined> {
  return ctx.temporal.workflow
    .getHandle(updateWorkflowId(updateId))
    .query(progressQuery)
    .catch(() => undefined);
}
