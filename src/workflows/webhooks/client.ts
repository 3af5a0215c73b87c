import type { Client } from '@temporalio/client';
import { webhookDeliveryWorkflowId } from '../ids';
import type { webhookDelivery } from './delivery';

/** Starts the task queue's webhook delivery loop unless it runs: every worker calls this at start, and the first one's stays. */
export async function startWebhookDelivery(client: Client, taskQueue: string): Promise<void> {
  await client.workflow.start<typeof webhookDelivery>('webhookDelivery', { workflowId: webhookDeliveryWorkflowId(taskQueue), taskQueue, args: [], workflowIdConflictPolicy: 'USE_EXISTING' });
}
