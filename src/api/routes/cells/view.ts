import { DEFAULT_CHECK_INTERVAL_SECONDS, type CellView } from '../../../domain/cell';

/** A controller's view of its cell, as the API's `Cell`: defaults filled in, nulls where unknown. */
export function toCell(view: CellView) {
  const { spec } = view;
  return {
    ...spec,
    connection: spec.connection ?? 'direct',
    airGapped: spec.airGapped ?? false,
    autoUpdate: spec.autoUpdate ?? false,
    checkIntervalSeconds: spec.checkIntervalSeconds ?? DEFAULT_CHECK_INTERVAL_SECONDS,
    state: view.state,
    version: view.version ?? null,
    desiredVersion: view.desiredVersion ?? null,
    plan: view.plan,
    reconcileError: view.reconcileError,
    drift: view.drift,
    lastCheck: view.lastCheck,
    flags: view.flags ?? {},
    infraApply: spec.infraApply ?? false,
    sla: view.sla ?? 'in-sla',
    infraUpdates: view.infraUpdates ?? [],
    maintenance: view.maintenance,
    currentUpdate: view.currentUpdate,
    config: view.config,
    history: view.history,
    error: view.error,
    removal: view.removal,
  };
}
