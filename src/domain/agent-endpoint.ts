// What a cell's agent may ask of Temporal through the agent endpoint, and nothing more: the calls an
// activity worker needs to start, to poll its own cell's queue, and to answer the tasks handed to
// it. Everything else (start, signal, update, query, terminate, reset, list, describe, history,
// the *ById responses, workflow and Nexus tasks, every operator call) is refused.

/** Forwarded to Temporal, each after the endpoint's own checks (queue, task token, namespace, identity). */
export const FORWARDED_CALLS = [
  'GetSystemInfo',
  'DescribeNamespace',
  'PollActivityTaskQueue',
  'RecordActivityTaskHeartbeat',
  'RespondActivityTaskCompleted',
  'RespondActivityTaskFailed',
  'RespondActivityTaskCanceled',
] as const;

/** Answered by the endpoint itself with an empty success: the SDK sends it as it stops; nothing of it concerns Temporal. */
export const ANSWERED_CALLS = ['ShutdownWorker'] as const;

export type ForwardedCall = (typeof FORWARDED_CALLS)[number];

export type CallPolicy = { kind: 'forward'; call: ForwardedCall } | { kind: 'answer' } | { kind: 'refuse'; reason: string };

export function callPolicy(method: string): CallPolicy {
  if ((FORWARDED_CALLS as readonly string[]).includes(method)) return { kind: 'forward', call: method as ForwardedCall };
  if ((ANSWERED_CALLS as readonly string[]).includes(method)) return { kind: 'answer' };
  return { kind: 'refuse', reason: `an agent may not call ${method}: it polls its own cell's queue and answers the tasks handed to it, nothing else` };
}

/** The identity the endpoint polls and answers with: the cell from the credential; version and host as the agent says. */
export function endpointIdentity(cellId: string, claimed: string): string {
  const [, , version, ...host] = claimed.split('/');
  const clean = (part: string | undefined) => (part ?? 'unknown').replace(/[^A-Za-z0-9._+-]/g, '').slice(0, 64) || 'unknown';
  return `cell/${cellId}/${clean(version)}/${clean(host.join('/'))}`;
}

/** The endpoint's own method: a new certificate for the calling cell, from a CSR of a new key (JSON `{csr}` → `{certificate, notAfter}`). */
export const RENEW_PATH = '/cellshift.agent.v1.Credentials/Renew';

/** The endpoint's release reads: a release (`{version, digest}` → its catalog entry) and its manifests (`{digest}` → their text), only those the cell's tasks named. */
export const RELEASE_PATH = '/cellshift.agent.v1.Releases/Get';
export const RELEASE_CONTENT_PATH = '/cellshift.agent.v1.Releases/Content';

/**
 * A support bundle collected in the calling cell, uploaded in chunks (client streaming; metadata
 * `bundle-id`, `digest`, `bytes`): only a bundle of its own cell that is being collected, checked
 * against its digest and size before it is kept (`{}` once stored).
 */
export const SUPPORT_BUNDLE_UPLOAD_PATH = '/cellshift.agent.v1.SupportBundles/Upload';

/** The most a support bundle may be: past it, an upload is refused. */
export const MAX_UPLOADED_BUNDLE_BYTES = 200 * 1024 * 1024;

/** The calling cell's configuration values at a revision (`{revision}` → `{values}`): its own only, the cell named by its certificate. */
export const CONFIG_PATH = '/cellshift.agent.v1.Config/Get';

/** The digests of the releases a task's input names (a `{version, digest}` anywhere in its arguments). */
export function namedReleaseDigests(args: unknown[]): string[] {
  const found = new Set<string>();
  const walk = (value: unknown, depth: number) => {
    if (depth > 6 || value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    if (typeof record.version === 'string' && typeof record.digest === 'string' && /^sha256:[0-9a-f]{64}$/.test(record.digest)) found.add(record.digest);
    for (const child of Array.isArray(value) ? value : Object.values(record)) walk(child, depth + 1);
  };
  for (const arg of args) walk(arg, 0);
  return [...found];
}
