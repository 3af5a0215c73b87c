// The workflows the worker registers. Nothing here may import Node builtins or adapters.
export { cellController } from './cell-controller';
export { liveUpdate } from './live-update';
export { maintenanceWindowUpdate } from './maintenance-window-update';
export { rollbackUpdate } from './rollback-update';
export { stagingFirstUpdate } from './staging-first-update';
export { fleetRollout } from './fleet-rollout';
export { infraUpdate } from './infra-update';
