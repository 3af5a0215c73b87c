// Workflow ids, built in one place. Update ids are `<cellId>-u<n>`: readable, URL-safe, and
// unique per cell because the cell's controller counts them.

export function cellWorkflowId(cellId: string): string {
  return `cell/${cellId}`;
}

export function updateId(cellId: string, n: number): string {
  return `${cellId}-u${n}`;
}

export function updateWorkflowId(id: string): string {
  const parsed = parseUpdateId(id);
  if (!parsed) throw new TypeError(`not an update id: ${id}`);
  return `update/${parsed.cellId}/u${parsed.n}`;
}

export function parseUpdateId(id: string): { cellId: string; n: number } | undefined {
  const match = /^([a-z0-9][a-z0-9-]*)-u(\d+)$/.exec(id);
  return match ? { cellId: match[1], n: Number(match[2]) } : undefined;
}

/** One rollout per release at a time: the release version is the rollout's id. */
export function rolloutWorkflowId(version: string): string {
  return `rollout/${version}`;
}

/** The rollback rollout after a veto: the cells on `version` back to what each ran before. */
export function rollbackRolloutId(version: string): string {
  return `rollback-${version}`;
}

/** A release's veto: one sweep per release (the first veto stands). */
export function vetoWorkflowId(version: string): string {
  return `veto/${version}`;
}

/** A cell's `n`th request for debug access. */
export function debugAccessWorkflowId(cellId: string, n: number): string {
  return `${debugWorkflowPrefix(cellId)}${n}`;
}

/** What every debug access workflow id of the cell starts with (a visibility query's STARTS_WITH). */
export function debugWorkflowPrefix(cellId: string): string {
  return `debug/${cellId}/`;
}

export function infraWorkflowId(cellId: string, templateVersion: string): string {
  return `${infraWorkflowPrefix(cellId)}${templateVersion}`;
}

/** What every infrastructure update workflow id of the cell starts with. */
export function infraWorkflowPrefix(cellId: string): string {
  return `infra/${cellId}/`;
}

/** The agent presence sweep of a task queue's control plane (one, however many workers start it). */
export function agentPresenceWorkflowId(taskQueue: string): string {
  return `agent-presence/${taskQueue}`;
}

/** The webhook delivery loop of a task queue's control plane (one, however many workers start it). */
export function webhookDeliveryWorkflowId(taskQueue: string): string {
  return `webhooks/${taskQueue}`;
}

/** What every support bundle workflow id of the cell starts with. */
export function supportBundleWorkflowPrefix(cellId: string): string {
  return `support-bundle/${cellId}/`;
}

/** A bundle's workflow: one per operator's request (a fresh key), one per failed update (its id). */
export function supportBundleWorkflowId(cellId: string, key: string): string {
  return `${supportBundleWorkflowPrefix(cellId)}${key}`;
}
