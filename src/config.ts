import { resolve } from 'node:path';

/** Everything cellshift reads from its environment, read once, in one place. */
export interface Config {
  dataDir: string;
  /** set when cellshift must use an existing Temporal server instead of starting its own */
  temporalAddress?: string;
  namespace: string;
  taskQueue: string;
  tls?: { certPath?: string; keyPath?: string; caPath?: string; serverName?: string };
  port: number;
  host: string;
  /** the largest release bundle `POST /v1/bundles` accepts, in compressed bytes */
  bundleLimitBytes: number;
  /** days from publication to an infrastructure update's deadline: 14 unless the install says otherwise */
  infraDeadlineDays: number;
  /** workflows the worker keeps cached between tasks; unset: the SDK's default (from the heap size) */
  maxCachedWorkflows?: number;
  /** a workflow bundle built beforehand (`npm run bundle:workflows`); unset: the worker bundles at start */
  workflowBundlePath?: string;
}

/** Images make bundles large; this bounds what one upload may write to the data directory. */
export const DEFAULT_BUNDLE_LIMIT_BYTES = 10 * 1024 ** 3;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const tlsEnabled = env.TEMPORAL_TLS === 'true' || Boolean(env.TEMPORAL_TLS_CERT);
  return {
    dataDir: resolve(env.CELLSHIFT_DATA_DIR ?? './data'),
    temporalAddress: env.TEMPORAL_ADDRESS || undefined,
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: env.CELLSHIFT_TASK_QUEUE ?? 'cellshift',
    tls: tlsEnabled
      ? { certPath: env.TEMPORAL_TLS_CERT, keyPath: env.TEMPORAL_TLS_KEY, caPath: env.TEMPORAL_TLS_CA, serverName: env.TEMPORAL_TLS_SERVER_NAME }
      : undefined,
    port: Number(env.PORT ?? 8080),
    infraDeadlineDays: Number(env.CELLSHIFT_INFRA_DEADLINE_DAYS ?? 14),
    host: env.HOST ?? '0.0.0.0',
    bundleLimitBytes: Number(env.CELLSHIFT_BUNDLE_LIMIT_BYTES ?? DEFAULT_BUNDLE_LIMIT_BYTES),
    maxCachedWorkflows: env.CELLSHIFT_MAX_CACHED_WORKFLOWS ? Number(env.CELLSHIFT_MAX_CACHED_WORKFLOWS) : undefined,
    workflowBundlePath: env.CELLSHIFT_WORKFLOW_BUNDLE || undefined,
  };
}

/** The embedded dev server's address when TEMPORAL_ADDRESS is not set. */
export const EMBEDDED_TEMPORAL_ADDRESS = '127.0.0.1:7233';

export function temporalAddress(config: Config): string {
  return config.temporalAddress ?? EMBEDDED_TEMPORAL_ADDRESS;
}
