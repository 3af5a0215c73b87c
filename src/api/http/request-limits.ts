/** What one client may ask of the API: requests a minute, and how long one request may take. */
export interface RequestLimits {
  /** requests a minute per token subject (an operator, a CI job, Prometheus): generous, it stops runaway scripts */
  perMinute: number;
  /** requests a minute per client address on routes that take no API token (agent registration, the OpenAPI document) */
  anonymousPerMinute: number;
  /** agent registrations and bootstrap tokens a minute, per address or per subject: each hands out a credential */
  registrationPerMinute: number;
  /** how long a request may take from routing to its answer, bundle uploads excepted: then 503 */
  timeoutMs: number;
}

/** Longer than a read waits for the database to come back (30 s), so a restart is waited out, not answered 503. */
export const DEFAULT_REQUEST_LIMITS: RequestLimits = { perMinute: 3000, anonymousPerMinute: 300, registrationPerMinute: 10, timeoutMs: 60_000 };
