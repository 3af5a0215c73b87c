// One delivery of an event to a subscriber: JSON with a Slack-compatible `text`, signed with the
// subscription's secret (HMAC-SHA256 over `<timestamp>.<body>`, as Stripe and Slack sign theirs).
import { createHmac } from 'node:crypto';
import type { FleetEvent } from '../../domain/events';

/** How long a receiver has to answer one delivery. */
const SEND_TIMEOUT_MS = 10_000;

export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Sends the event; resolves when the receiver answered 2xx, throws with the reason otherwise. */
export async function sendEvent(url: string, secret: string, event: FleetEvent): Promise<void> {
  const body = JSON.stringify(event);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'cellshift-webhooks',
      'x-cellshift-event': event.type,
      'x-cellshift-delivery': event.id,
      'x-cellshift-timestamp': timestamp,
      'x-cellshift-signature': signature(secret, timestamp, body),
    },
    body,
    signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
  });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
}
