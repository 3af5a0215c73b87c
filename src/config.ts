import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parsePublicKeys } from './crypto/release-signature';
import { RINGS, type Ring } from './domain/release';
import { DEFAULT_BUNDLE_LIMITS, type BundleLimits } from './adapters/bundles/limits';
import type { WebhookTargetPolicy } from './adapters/notify/webhook-target';
import { DEFAULT_REQUEST_LIMITS, type RequestLimits } from './api/http/request-limits';
import { prePullOptions, type PrePullOptions } from './adapters/kubernetes/prepull-pod';
import { DEFAULT_AGENT_OFFLINE_AFTER_SECONDS, MIN_AGENT_VERSION } from './domain/agent';

export interface AgentEndpointConfig {
  /** where it listens */
  host: string;
  port: number;
  /** host:port agents dial (a PrivateLink name in production), told to each agent at registration */
  address: string;
  /** the names and addresses its certificate carries: what agents may dial it by */
  serverNames: string[];
  /** how long an agent's certificate lasts; the agent renews it over its connection before then */
  credentialMinutes: number;
}

export const DEFAULT_AGENT_ENDPOINT_PORT = 7443;

function agentEndpointConfig(env: NodeJS.ProcessEnv): AgentEndpointConfig {
  const port = Number(env.CELLSHIFT_AGENT_ENDPOINT_PORT ?? DEFAULT_AGENT_ENDPOINT_PORT);
  const address = env.CELLSHIFT_AGENT_ENDPOINT_ADDRESS || `127.0.0.1:${port}`;
  const dialed = address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const names = env.CELLSHIFT_AGENT_ENDPOINT_NAMES ? env.CELLSHIFT_AGENT_ENDPOINT_NAMES.split(',').map((n) => n.trim()).filter(Boolean) : [dialed, 'localhost', '127.0.0.1'];
  return {
    host: env.CELLSHIFT_AGENT_ENDPOINT_HOST ?? '0.0.0.0',
    port,
    address,
    serverNames: [...new Set([dialed, ...names])],
    credentialMinutes: Number(env.CELLSHIFT_AGENT_CREDENTIAL_MINUTES ?? 60),
  };
}

function rings(list: string | undefined, fallback: Ring[]): Ring[] {
  if (list === undefined) return fallback;
  const named = list.split(',').map((r) => r.trim()).filter(Boolean);
  const unknown = named.filter((r) => !(RINGS as readonly string[]).includes(r));
  if (unknown.length > 0) throw new Error(`not rings: ${unknown.join(', ')} (rings are ${RINGS.join(', ')})`);
  return named as Ring[];
}

/** `dedicated=7,saas=2`: days of notice each ring's cells are owed before an update (a cell's contract may say otherwise). */
function noticeDays(list: string | undefined): Partial<Record<Ring, number>> {
  const days: Partial<Record<Ring, number>> = {};
  for (const entry of (list ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
    const [ring, value] = entry.split('=');
    const n = Number(value);
    if (!(RINGS as readonly string[]).includes(ring) || !Number.isInteger(n) || n < 0 || n > 90) throw new Error(`CELLSHIFT_NOTICE_DAYS: ${entry} is not <ring>=<days 0-90> (rings are ${RINGS.join(', ')})`);
    days[ring as Ring] = n;
  }
  return days;
}

/** Everything cellshift reads from its environment, read once, in one place. */
export interface Config {
  dataDir: string;
  /** set when cellshift must use an existing Temporal server instead of starting its own */
  temporalAddress?: string;
  /** PostgreSQL (`DATABASE_URL`); unset, the embedded database `npm start` runs (`npm run db`) */
  databaseUrl?: string;
  namespace: string;
  taskQueue: string;
  tls?: { certPath?: string; keyPath?: string; caPath?: string; serverName?: string };
  /** an API key for Temporal Cloud or a server that takes one (sent as a bearer token) */
  apiKey?: string;
  /** agents: the agent endpoint, the one thing agents connect to (they never reach Temporal) */
  agentEndpoint: AgentEndpointConfig;
  /** agents: the oldest agent version the workflows can drive; older ones hold their cells */
  minAgentVersion: string;
  /** agents: not seen polling for this long, an agent counts as offline */
  agentOfflineAfterSeconds: number;
  port: number;
  host: string;
  /** what one release bundle `POST /v1/bundles` accepts: compressed and unpacked bytes, entries */
  bundleLimits: BundleLimits;
  /** days from publication to an infrastructure update's deadline: 14 unless the install says otherwise */
  infraDeadlineDays: number;
  /** webhooks: plain http to loopback receivers too (CELLSHIFT_WEBHOOKS_ALLOW_LOOPBACK=1: tests and development, never production) */
  webhookTargets: WebhookTargetPolicy;
  /** API: requests a minute per token subject, per address without a token, for agent registration; a request's time limit */
  requestLimits: RequestLimits;
  /** workflows the worker keeps cached between tasks; unset: the SDK's default (from the heap size) */
  maxCachedWorkflows?: number;
  /** a workflow bundle built beforehand (`npm run bundle:workflows`); unset: the worker bundles at start */
  workflowBundlePath?: string;
  /** host:port where the worker serves the Temporal SDK's own metrics for Prometheus (unset: none) */
  workerMetricsAddress?: string;
  /** Kubernetes cells: how the pre-pull reaches the nodes, and the images cellshift runs there (an air-gapped cell's mirror) */
  prePull: PrePullOptions;
  /** releases: the vendor's public keys (PEM): the API checks signatures at publish, the worker in each step on a cell it reaches directly */
  releaseKeys: string[];
  /** releases: rings an unsigned release may be promoted to (none unless set: the demo's staging, say) */
  unsignedRings: Ring[];
  /** releases: rings whose releases must name every image by digest */
  digestPinnedRings: Ring[];
  /** the change contract: days of notice a ring's cells are owed before an update, unless a cell's contract says otherwise (none by default) */
  noticeDays: Partial<Record<Ring, number>>;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An API key travels over TLS only (Temporal Cloud): setting one turns TLS on unless TEMPORAL_TLS=false says otherwise.
  const tlsEnabled = env.TEMPORAL_TLS === 'true' || Boolean(env.TEMPORAL_TLS_CERT) || (Boolean(env.TEMPORAL_API_KEY) && env.TEMPORAL_TLS !== 'false');
  return {
    dataDir: resolve(env.CELLSHIFT_DATA_DIR ?? './data'),
    temporalAddress: env.TEMPORAL_ADDRESS || undefined,
    databaseUrl: env.DATABASE_URL || undefined,
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: env.CELLSHIFT_TASK_QUEUE ?? 'cellshift',
    tls: tlsEnabled
      ? { certPath: env.TEMPORAL_TLS_CERT, keyPath: env.TEMPORAL_TLS_KEY, caPath: env.TEMPORAL_TLS_CA, serverName: env.TEMPORAL_TLS_SERVER_NAME }
      : undefined,
    apiKey: env.TEMPORAL_API_KEY || undefined,
    agentEndpoint: agentEndpointConfig(env),
    minAgentVersion: env.CELLSHIFT_MIN_AGENT_VERSION || MIN_AGENT_VERSION,
    agentOfflineAfterSeconds: Number(env.CELLSHIFT_AGENT_OFFLINE_AFTER_SECONDS ?? DEFAULT_AGENT_OFFLINE_AFTER_SECONDS),
    port: Number(env.PORT ?? 8080),
    infraDeadlineDays: Number(env.CELLSHIFT_INFRA_DEADLINE_DAYS ?? 14),
    webhookTargets: { allowLoopback: env.CELLSHIFT_WEBHOOKS_ALLOW_LOOPBACK === '1' },
    requestLimits: {
      perMinute: Number(env.CELLSHIFT_RATE_LIMIT_PER_MINUTE ?? DEFAULT_REQUEST_LIMITS.perMinute),
      anonymousPerMinute: Number(env.CELLSHIFT_RATE_LIMIT_ANONYMOUS_PER_MINUTE ?? DEFAULT_REQUEST_LIMITS.anonymousPerMinute),
      registrationPerMinute: Number(env.CELLSHIFT_RATE_LIMIT_REGISTRATION_PER_MINUTE ?? DEFAULT_REQUEST_LIMITS.registrationPerMinute),
      timeoutMs: Number(env.CELLSHIFT_REQUEST_TIMEOUT_MS ?? DEFAULT_REQUEST_LIMITS.timeoutMs),
    },
    host: env.HOST ?? '0.0.0.0',
    bundleLimits: {
      compressedBytes: Number(env.CELLSHIFT_BUNDLE_LIMIT_BYTES ?? DEFAULT_BUNDLE_LIMITS.compressedBytes),
      unpackedBytes: Number(env.CELLSHIFT_BUNDLE_UNPACKED_LIMIT_BYTES ?? DEFAULT_BUNDLE_LIMITS.unpackedBytes),
      entries: Number(env.CELLSHIFT_BUNDLE_MAX_ENTRIES ?? DEFAULT_BUNDLE_LIMITS.entries),
    },
    maxCachedWorkflows: env.CELLSHIFT_MAX_CACHED_WORKFLOWS ? Number(env.CELLSHIFT_MAX_CACHED_WORKFLOWS) : undefined,
    workflowBundlePath: env.CELLSHIFT_WORKFLOW_BUNDLE || undefined,
    workerMetricsAddress: env.CELLSHIFT_WORKER_METRICS_ADDRESS || undefined,
    prePull: prePullOptions({ method: env.CELLSHIFT_PREPULL_METHOD, pauseImage: env.CELLSHIFT_PAUSE_IMAGE, noopImage: env.CELLSHIFT_NOOP_IMAGE }),
    releaseKeys: parsePublicKeys(env.CELLSHIFT_RELEASE_KEYS || (env.CELLSHIFT_RELEASE_KEYS_FILE ? readFileSync(env.CELLSHIFT_RELEASE_KEYS_FILE, 'utf8') : '')),
    unsignedRings: rings(env.CELLSHIFT_UNSIGNED_RINGS, []),
    digestPinnedRings: rings(env.CELLSHIFT_DIGEST_PINNED_RINGS, ['dedicated']),
    noticeDays: noticeDays(env.CELLSHIFT_NOTICE_DAYS),
  };
}

/** The embedded dev server's address when TEMPORAL_ADDRESS is not set. */
export const EMBEDDED_TEMPORAL_ADDRESS = '127.0.0.1:7233';

export function temporalAddress(config: Config): string {
  return config.temporalAddress ?? EMBEDDED_TEMPORAL_ADDRESS;
}

/** Where the embedded database listens when DATABASE_URL is not set (`npm run db`). */
export const EMBEDDED_DATABASE_PORT = 7432;

export function databaseUrl(config: Config): string {
  return config.databaseUrl ?? `postgres://postgres@127.0.0.1:${EMBEDDED_DATABASE_PORT}/postgres?sslmode=disable`;
}
