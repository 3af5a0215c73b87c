// Sends what webhook subscribers wait for: a delivery loop (one activity at a time, looking every
// second), restarted as long as the control plane runs. One per task queue, however many workers start it.
import { ActivityFailure, continueAsNew, log, proxyActivities, sleep } from '@temporalio/workflow';
import type { WebhookActivities } from '../../activities';
import { BRIEF } from '../retry';

const LOOP_MS = 10 * 60_000;
const { runWebhookDeliveries } = proxyActivities<Pick<WebhookActivities, 'runWebhookDeliveries'>>({
  startToCloseTimeout: LOOP_MS + 60_000,
  heartbeatTimeout: '30s',
  retry: BRIEF,
});

/** Loops per run before the history starts afresh. */
const LOOPS_PER_RUN = 100;

export async function webhookDelivery(): Promise<void> {
  for (let i = 0; i < LOOPS_PER_RUN; i++) {
    try {
      await runWebhookDeliveries(LOOP_MS);
    } catch (err) {
      // The database away for minutes: deliveries wait in the outbox.
      if (!(err instanceof ActivityFailure)) throw err;
      log.warn('webhook delivery loop failed; starting it again', { error: err.message });
      await sleep(5_000);
    }
  }
  await continueAsNew<typeof webhookDelivery>();
}
