import { ActivityFailure, condition, proxyActivities, setHandler, sleep, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { InfraActivities, WebhookActivities } from '../../activities';
import type { EventType } from '../../domain/events';
import type { DebugAccessEnd, DebugAccessEvent, DebugAccessInput, DebugAccessStatus, DebugAccessView } from '../../domain/debug-access';
import { ErrorType } from '../../domain/errors';
import type { ClusterTarget, Notification } from '../../domain/ports';
import { describeFailure, refuse } from '../failures';
import { debugAccessQuery, decideDebugAccess, revokeDebugAccess, type OperatorCommand } from '../messages';
import { CellIdKey, DebugAccessStatusKey } from '../search-attributes';
import { now } from '../update/progress';
import { debugActivities } from './activities';
import { NOTIFY } from '../retry';

// Telling people must not be lost: retried for a day.
const { notifyContacts, publishEvents } = proxyActivities<Pick<InfraActivities, 'notifyContacts'> & Pick<WebhookActivities, 'publishEvents'>>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '1d',
  retry: NOTIFY,
});

/** A revocation the cell refused outright (a kubeconfig gone, a permission lost) is tried again this often. */
const REVOKE_AGAIN_MS = 60_000;

export interface DebugAccessWorkflowInput extends DebugAccessInput {
  target: ClusterTarget;
  agentWaitSeconds?: number;
  /** SHA-256 of the public key, as the API read it: shown, so the customer can sign the request's terms */
  publicKeySha256?: string;
}

/**
 * One request for emergency debug access to a cell (`debug/<cell>/<n>`): the cell's contacts are
 * told, the customer decides (approve or deny, `decideDebugAccess`) by a deadline (no decision is a
 * denial); on approval the cell creates a ServiceAccount, Role and RoleBinding for the grant and
 * a token bound to a Secret, sealed to the requester's public key inside the activity; a durable
 * timer ends it, or the customer or an operator revokes it earlier (`revokeDebugAccess`).
 * Revocation retries until the cell answers. Every step is recorded with who and why.
 */
export async function debugAccess(input: DebugAccessWorkflowInput): Promise<DebugAccessView> {
  const { target, publicKey: _, agentWaitSeconds, publicKeySha256, ...request } = input;
  const requestedAt = now();
  const view: DebugAccessView = {
    id: `${input.cellId}/${input.n}`,
    cellId: input.cellId,
    n: input.n,
    scope: input.scope,
    durationMinutes: input.durationMinutes,
    reason: input.reason,
    requestedBy: input.requestedBy,
    requestedAt,
    status: 'waiting-decision',
    decideBy: new Date(Date.parse(requestedAt) + input.decisionMinutes * 60_000).toISOString(),
    ...(publicKeySha256 ? { publicKeySha256 } : {}),
    events: [{ event: 'requested', by: input.requestedBy, at: requestedAt, reason: input.reason }],
  };
  /** set by a revocation (read through `revocation()`: handlers change it between awaits) */
  let revoked: OperatorCommand | undefined;
  const revocation = () => revoked;
  const record = (event: DebugAccessEvent['event'], by: string, reason?: string) => view.events.push({ event, by, at: now(), ...(reason ? { reason } : {}) });
  const enter = (status: DebugAccessStatus) => {
    view.status = status;
    upsertSearchAttributes([
      { key: CellIdKey, value: input.cellId },
      { key: DebugAccessStatusKey, value: status },
    ]);
  };
  /**
   * Tells the cell's contacts, and webhook subscribers (`debug-access.requested`, `.decided`, `.ended`);
   * the same call appends the steps so far to the audit trail, which outlives this history (an
   * argument more, not an activity more: the commands stay those of runs already in flight).
   */
  const notify = async (kind: Notification['kind'] & `debug-access-${string}`, subject: string) => {
    const body = `${subject}. Request ${workflowInfo().workflowId}: ${request.scope.role} on namespace ${request.scope.namespace} for ${request.durationMinutes} min, asked by ${request.requestedBy}: ${request.reason}`;
    const at = now();
    const type = kind.replace('debug-access-', 'debug-access.') as EventType;
    await Promise.all([
      notifyContacts({ cellId: input.cellId, kind, subject, body, sentAt: at }),
      publishEvents(
        [{ id: `${type}/${view.id}`, type, at, cellId: input.cellId, text: body, data: { debugAccess: view.id, status: view.status, ...(view.end ? { end: view.end } : {}), scope: request.scope } }],
        { cellId: input.cellId, n: input.n, scope: request.scope, durationMinutes: request.durationMinutes, events: view.events },
      ),
    ]);
  };

  setHandler(debugAccessQuery, () => view);
  setHandler(
    decideDebugAccess,
    (decision) => {
      view.decision = { approve: decision.approve, by: decision.by, at: now(), reason: decision.reason, ...(decision.signature ? { signature: decision.signature } : {}) };
      record(decision.approve ? 'approved' : 'denied', decision.by, decision.reason);
      return view;
    },
    {
      validator: (decision) => {
        if (view.status !== 'waiting-decision' || view.decision || revoked) refuse(ErrorType.InvalidState, `request ${view.id} is ${view.status}: nothing to decide`);
        if (decision.by === input.requestedBy) refuse(ErrorType.InvalidState, `${decision.by} asked for this access and cannot decide on it`);
      },
    },
  );
  setHandler(
    revokeDebugAccess,
    (command) => {
      revoked = command;
      record('revoke-requested', command.by, command.reason);
      return view;
    },
    { validator: (_command: OperatorCommand) => (view.status === 'ended' || view.status === 'revoking' || revoked ? refuse(ErrorType.InvalidState, `access ${view.id} is ${view.status}: nothing to revoke`) : undefined) },
  );

  enter('waiting-decision');
  await notify('debug-access-requested', `Debug access to ${input.cellId} requested: approve or deny by ${view.decideBy}`);
  await condition(() => view.decision !== undefined || revoked !== undefined, input.decisionMinutes * 60_000);
  const withdrawn = revocation();
  if (withdrawn) return end('revoked', `Debug access request to ${input.cellId} withdrawn by ${withdrawn.by}`);
  if (!view.decision) {
    record('no-decision', 'cellshift', `no decision by ${view.decideBy}`);
    return end('no-decision', `Debug access to ${input.cellId} denied: no decision by ${view.decideBy}`);
  }
  if (!view.decision.approve) return end('denied', `Debug access to ${input.cellId} denied by ${view.decision.by}: ${view.decision.reason}`);

  enter('granting');
  const { grantDebugAccess, revokeDebugAccess: revokeInCell } = debugActivities(target, agentWaitSeconds);
  const expiresAt = new Date(Date.now() + input.durationMinutes * 60_000).toISOString();
  try {
    // The customer's signed approval goes along: a cell that pins the customer's key grants nothing without it.
    const { sealedToken } = await grantDebugAccess(target, { n: input.n, scope: input.scope, durationMinutes: input.durationMinutes, expiresAt }, input.publicKey, view.decision.signature);
    Object.assign(view, { sealedToken, grantedAt: now(), expiresAt });
    record('granted', view.decision.by, `until ${expiresAt}`);
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    record('grant-failed', 'cellshift', describeFailure(err));
    // Whatever the cell created before failing goes too.
    await revoke();
    return end('grant-failed', `Debug access to ${input.cellId} approved but not granted: ${describeFailure(err)}`);
  }
  enter('active');
  await notify('debug-access-decided', `Debug access to ${input.cellId} approved by ${view.decision.by}, until ${expiresAt}`);
  await condition(() => revoked !== undefined, Math.max(1, Date.parse(expiresAt) - Date.now()));
  const early = revocation();
  if (!early) record('expired', 'cellshift', `ended at ${expiresAt}`);
  await revoke();
  if (early) record('revoked', early.by, early.reason);
  return end(early ? 'revoked' : 'expired', early ? `Debug access to ${input.cellId} revoked by ${early.by}` : `Debug access to ${input.cellId} ended: expired at ${expiresAt}`);

  /** Deletes the grant in the cell, trying again until the cell answers. */
  async function revoke(): Promise<void> {
    enter('revoking');
    for (;;) {
      try {
        await revokeInCell(target, input.n);
        return;
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        record('grant-failed', 'cellshift', `revocation refused, trying again: ${describeFailure(err)}`);
        await sleep(REVOKE_AGAIN_MS);
      }
    }
  }

  async function end(how: DebugAccessEnd, subject: string): Promise<DebugAccessView> {
    view.end = how;
    view.endedAt = now();
    record('ended', 'cellshift', how);
    enter('ended');
    if (how === 'denied' || how === 'no-decision') await notify('debug-access-decided', subject);
    await notify('debug-access-ended', subject);
    return view;
  }
}
