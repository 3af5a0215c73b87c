import type { Ring } from './release';
import type { LiveOverrides, StagingFirstOptions } from './strategy-options';
import type { Strategy, UpdateKind } from './update';
import type { MaintenanceWindow } from './window';

/** How activities reach a cell's cluster. A reference only: credentials are resolved inside activities. */
export type ClusterRef = { kind: 'simulated'; initialVersion?: string };

export interface CellSpec {
  id: string;
  ring: Ring;
  strategy: Strategy;
  maintenanceWindow: MaintenanceWindow;
  cluster: ClusterRef;
  stagingCellId?: string;
  /** how long an update is expected to take: a window with less left is skipped (the cut-off) */
  expectedUpdateMinutes: number;
  /** defaults of the staging-first strategy for this cell */
  stagingFirst?: Partial<StagingFirstOptions>;
  /** defaults of the live strategy for this cell */
  live?: LiveOverrides;
}

export type CellState = 'registering' | 'ready' | 'updating' | 'registration-failed';

export interface VersionHistoryEntry {
  version: string;
  fromVersion?: string;
  at: string;
  updateId?: string;
  strategy?: UpdateKind;
  result: 'registered' | 'succeeded' | 'rolled-back' | 'cancelled' | 'rejected' | 'failed';
}

export interface CurrentUpdate {
  id: string;
  toVersion: string;
  strategy: UpdateKind;
}

export interface CellStatus {
  state: CellState;
  version?: string;
  maintenance: { enabled: boolean };
  currentUpdate?: CurrentUpdate;
  history: VersionHistoryEntry[];
  error?: string;
}

export interface CellView extends CellStatus {
  spec: CellSpec;
}

export const CELL_ID = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
