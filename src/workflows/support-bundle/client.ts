// A support bundle's client side: its start (one workflow per request) and its handle.
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { SupportBundleRecord } from '../../domain/support-bundle/bundle';
import { supportBundleWorkflowId } from '../ids';
import { CellIdKey } from '../search-attributes';
import type { SupportBundleInput, supportBundle } from './collection';
import { supportBundleQuery } from './messages';

export function supportBundleOf(client: Client, workflowId: string): WorkflowHandle<typeof supportBundle> {
  return client.workflow.getHandle<typeof supportBundle>(workflowId);
}

/**
 * Starts a bundle's workflow and returns its record once the workflow has opened it (its first
 * step, a write to cellshift's own database). An update's failure names the update in the id, so
 * asking twice starts one.
 */
export async function startSupportBundle(client: Client, taskQueue: string, input: SupportBundleInput): Promise<{ workflowId: string; record: SupportBundleRecord }> {
  const workflowId = supportBundleWorkflowId(input.cellId, input.updateId ?? randomUUID());
  const handle = await client.workflow.start<typeof supportBundle>('supportBundle', {
    workflowId,
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [{ key: CellIdKey, value: input.cellId }],
    staticSummary: `support bundle of ${input.cellId} (${input.trigger === 'operator' ? `asked by ${input.requestedBy}` : `update ${input.updateId} failed`})`,
  });
  for (let tries = 0; ; tries++) {
    try {
      return { workflowId, record: await handle.query(supportBundleQuery) };
    } catch (err) {
      // The workflow has not opened its record yet (its first task is on its way).
      if (tries >= 50) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
