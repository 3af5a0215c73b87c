// The workflows the worker registers. Nothing here may import Node builtins or adapters.
export { cellController } from './cell/controller';
export { maintenanceWindowUpdate } from './update/maintenance-window';
export { stagingFirstUpdate } from './update/staging-first';
export { liveUpdate } from './update/live';
export { rollbackUpdate } from './update/rollback';
export { fleetRollout } from './rollout/fleet-rollout';
export { infraUpdate } from './infra/infra-update';
export { agentPresenceSweep } from './agents/presence-sweep';
export { releaseVeto } from './veto/release-veto';
export { debugAccess } from './debug/debug-access';
export { webhookDelivery } from './webhooks/delivery';
export { supportBundle } from './support-bundle/collection';
