// One delivery of an event to a subscriber: JSON with a Slack-compatible `text`, signed with the
// subscription's secret (HMAC-SHA256 over `<timestamp>.<body>`, as Stripe and Slack sign theirs).
import { createHmac } from 'node:crypto';
import type { LookupFunction } from 'node:net';
import { Agent, fetch } from 'undici';
import type { FleetEvent } from '../../domain/events';
import { checkWebhookTarget, type Resolve, type ResolvedAddress, type WebhookTargetPolicy } from './webhook-target';

/** How long a receiver has to answer one delivery. */
const SEND_TIMEOUT_MS = 10_000;

export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Sends the event; resolves when the receiver answered 2xx, throws with the reason otherwise. The
 * URL is checked again first (its name may resolve elsewhere than when it was subscribed), the
 * connection goes to the addresses checked, and a redirect is a failed attempt, not followed.
 */
export async function sendEvent(url: string, secret: string, event: FleetEvent, policy: WebhookTargetPolicy, resolve?: Resolve): Promise<void> {
  const target = await checkWebhookTarget(url, policy, resolve).catch((err: Error) => {
    throw new Error(`${url} refused: ${err.message}`);
  });
  const body = JSON.stringify(event);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const dispatcher = new Agent({ connect: { lookup: pinnedLookup(target.addresses) } });
  try {
    const res = await fetch(target.url, {
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
      redirect: 'manual',
      dispatcher,
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (res.status >= 300 && res.status < 400) throw new Error(`${url} answered ${res.status}: redirects are not followed`);
    if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  } finally {
    await dispatcher.destroy();
  }
}

/** A resolver that answers only the addresses checked, whatever the name resolves to now. */
export function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, addresses);
    else callback(null, addresses[0].address, addresses[0].family);
  };
}
