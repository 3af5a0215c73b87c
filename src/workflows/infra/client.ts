// An infrastructure update's client side: its handle.
import type { Client, WorkflowHandle } from '@temporalio/client';
import { infraWorkflowId } from '../ids';
import type { infraUpdate } from './infra-update';

/** The infrastructure update of a cell's stack to a template version (`infra/<cell>/<version>`). */
export function infraUpdateOf(client: Client, cellId: string, templateVersion: string): WorkflowHandle<typeof infraUpdate> {
  return client.workflow.getHandle<typeof infraUpdate>(infraWorkflowId(cellId, templateVersion));
}
