// The workflows the worker registers. Nothing here may import Node builtins or adapters.
export { cellController } from './cell-controller';
export { maintenanceWindowUpdate } from './maintenance-window-update';
