import type { FastifyInstance } from 'fastify';
import type { CellView } from '../domain/cell';

/**
 * Whether a cell is in maintenance mode. While an update runs, the update knows (its progress
 * says so; a staging-first update's primary update does the switching); otherwise the controller
 * does (a cell left in maintenance by an abandoned compensation). Both from the read model.
 */
export async function withMaintenance(ctx: Pick<FastifyInstance, 'updates'>, view: CellView): Promise<CellView> {
  const running = view.currentUpdate?.id;
  if (view.maintenance.enabled || !running || running === 'pending') return view;
  const progress = await ctx.updates.get(running);
  const primary = progress?.steps.find((s) => s.name === 'primary')?.updateId;
  const enabled = progress?.maintenance ?? (primary ? (await ctx.updates.get(primary))?.maintenance : undefined);
  return enabled ? { ...view, maintenance: { enabled } } : view;
}
