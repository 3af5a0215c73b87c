// Every signal, query and update, typed once and shared by workflows, API and tests.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CellView } from '../domain/cell';
import type { Strategy, UpdateProgress, UpdateResult } from '../domain/update';

export interface UpdateRequest {
  version: string;
  strategy?: Strategy;
  window?: 'next' | 'now';
  requestedBy: string;
}

export interface UpdateAccepted {
  id: string;
  cellId: string;
  status: 'scheduled';
  fromVersion?: string;
  toVersion: string;
}

export interface OperatorCommand {
  by: string;
  reason?: string;
}

// cell controller
export const cellStatusQuery = defineQuery<CellView>('cellStatus');
export const requestUpdate = defineUpdate<UpdateAccepted, [UpdateRequest]>('requestUpdate');
export const updateFinishedSignal = defineSignal<[UpdateResult]>('updateFinished');
export const maintenanceChangedSignal = defineSignal<[{ updateId: string; enabled: boolean }]>('maintenanceChanged');

// update workflows
export const progressQuery = defineQuery<UpdateProgress>('progress');
export const cancelUpdate = defineUpdate<void, [OperatorCommand]>('cancel');
export const retryCompensation = defineUpdate<void, [OperatorCommand]>('retry');
export const abandonCompensation = defineUpdate<void, [OperatorCommand]>('abandon');
