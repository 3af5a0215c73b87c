import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { sendEvent } from '../../adapters/notify/webhook-sender';
import type { WebhookTargetPolicy } from '../../adapters/notify/webhook-target';
import type { DebugAccessTrail } from '../../domain/debug-access';
import type { FleetEvent } from '../../domain/events';
import type { Db } from '../../adapters/db/database';
import { WebhookStore } from '../../adapters/db/webhooks';
import { DebugAccessAudit } from '../../adapters/db/debug-access-audit';
import { UpdateReadModel } from '../../adapters/db/update-read-model';

/** How often the delivery loop looks for due deliveries, and how many it sends at once. */
const LOOK_EVERY_MS = 1_000;
const BATCH = 50;
/** An update that needs attention is told of again every few hours until someone acts; looked for every 10 s. */
export const NEEDS_ATTENTION_REMINDER_HOURS = 4;
const REMINDERS_EVERY_MS = 10_000;

export function createWebhookActivities(webhooks: WebhookStore, db: Db, targets: WebhookTargetPolicy) {
  return {
    /**
     * Sends due deliveries for `forMs`, looking every second: each sent until its receiver answers
     * 2xx, backing off between attempts, given up after a day. A failing receiver delays nothing
     * but its own deliveries. Heartbeats, so a worker's end hands the loop to another.
     */
    async runWebhookDeliveries(forMs: number): Promise<number> {
      const activity = Context.current();
      const until = Date.now() + forMs;
      let sent = 0;
      let remindedAt = 0;
      while (Date.now() < until && !activity.cancellationSignal.aborted) {
        if (Date.now() - remindedAt >= REMINDERS_EVERY_MS) {
          remindedAt = Date.now();
          await UpdateReadModel.queueNeedsAttentionReminders(db, new Date(), NEEDS_ATTENTION_REMINDER_HOURS);
        }
        const due = await webhooks.due(BATCH);
        await Promise.all(
          due.map(async (delivery) => {
            try {
              await sendEvent(delivery.url, webhooks.secretOf(delivery), delivery.event, targets);
              await webhooks.delivered(delivery.id);
              sent++;
            } catch (err) {
              await webhooks.failed(delivery, (err as Error).message);
            }
          }),
        );
        activity.heartbeat(sent);
        if (due.length < BATCH) await sleep(LOOK_EVERY_MS, undefined, { signal: activity.cancellationSignal }).catch(() => undefined);
      }
      return sent;
    },

    /**
     * Queues events a workflow tells of (a rollout's halt or end, a debug grant's steps) for their
     * subscribers; a debug grant's steps so far also go to its audit trail (appended, once each).
     */
    async publishEvents(events: FleetEvent[], trail?: DebugAccessTrail): Promise<void> {
      // The workflow run names the trail's rows: a retried call writes nothing twice.
      const run = Context.current().info.workflowExecution;
      if (trail && run) await DebugAccessAudit.append(db, run, trail);
      await WebhookStore.enqueue(db, events);
    },
  };
}

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;
