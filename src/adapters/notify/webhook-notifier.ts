import type { Notification, Notifier } from '../../domain/ports';

export interface WebhookOptions {
  /** sent as headers, never in the body (e.g. an Authorization header) */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * POSTs each notification as JSON to a webhook. Anything but a 2xx throws, so the activity
 * retries the delivery. The body is the notification only: no tokens, no credentials.
 */
export class WebhookNotifier implements Notifier {
  constructor(
    private readonly url: string,
    private readonly options: WebhookOptions = {},
  ) {}

  async notify(notification: Notification): Promise<void> {
    const { cellId, kind, subject, body, deadline } = notification;
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.options.headers },
      body: JSON.stringify({ cellId, kind, subject, body, ...(deadline ? { deadline } : {}) }),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    if (!res.ok) {
      const text = (await res.text().catch(() => '')).slice(0, 200);
      throw new Error(`webhook ${new URL(this.url).origin} answered ${res.status} ${res.statusText}${text ? `: ${text}` : ''}`);
    }
    await res.body?.cancel();
  }
}
