import type { FastifyInstance } from 'fastify';
import type { CellView } from '../domain/cell';
import { readUpdate } from './read-views';

/**
 * Whether a cell is in maintenance mode. While an update runs, the update knows (its progress
 * says so; a staging-first update's primary update does the switching); otherwise the controller
 * does (a cell left in maintenance by an abandoned compensation). Both from the read model.
 */
export async function withMaintenance(ctx: Pick<FastifyInstance, 'cells' | 'updates' | 'temporal'>, view: CellView): Promise<CellView> {
  const running = view.currentUpdate?.id;
  if (view.maintenance.enabled || !running || running === 'pending') return view;
  const progress = await readUpdate(ctx, running).catch(() => undefined);
  const primary = progress?.steps.find((s) => s.name === 'primary')?.updateId;
  const enabled = progress?.maintenance ?? (primary ? (await readUpdate(ctx, primary).catch(() => undefined))?.maintenance : undefined);
  return enabled ? { ...view, maintenance: { enabled } } : view;
}
