import { ActivityFailure, condition, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { ErrorType } from '../../domain/errors';
import type { ClusterTarget } from '../../domain/ports';
import type { BundleConsent, BundleStatus, BundleTrigger, SupportBundleRecord } from '../../domain/support-bundle/bundle';
import { collectionSpec, type ReleaseBundleSpec } from '../../domain/support-bundle/spec';
import { describeFailure, refuse } from '../failures';
import { now } from '../update/progress';
import { collectionActivities, deleteSupportBundle, openSupportBundle, publishEvents, releaseBundleSpec, setSupportBundleStatus, supportBundleCollected, supportBundlePolicy, updateEvidence } from './activities';
import { decideSupportBundle, deleteSupportBundle as deleteRequest, supportBundleQuery, type BundleDecision } from './messages';

export interface SupportBundleInput {
  cellId: string;
  target: ClusterTarget;
  agentWaitSeconds?: number;
  trigger: BundleTrigger;
  requestedBy: string;
  reason?: string;
  /** the update a failure's bundle is collected for */
  updateId?: string;
  /** how long the customer has to decide on an operator's request (default a day) */
  decisionMinutes?: number;
  /** what the release running in the cell adds to cellshift's collection spec (runs started before 0.3.0 carried none) */
  releaseSpec?: ReleaseBundleSpec;
  /** the release the cell runs when the bundle is asked for: its `supportBundle` extends the collection */
  version?: string;
}

const DEFAULT_DECISION_MINUTES = 24 * 60;

/**
 * One support bundle (`support-bundle/<cell>/<request>`): what the cell's customer allows is asked
 * first (an operator's request waits for the customer's approval when the policy says `ask`; a
 * failed update's bundle is collected only when the policy says so); then the bundle is collected
 * in the cell, redacted there, uploaded, and kept until its retention ends or someone deletes it.
 */
export async function supportBundle(input: SupportBundleInput): Promise<SupportBundleRecord> {
  const policy = await supportBundlePolicy(input.cellId);
  let record = await openSupportBundle(input.cellId, { workflowId: workflowInfo().workflowId, trigger: input.trigger, requestedBy: input.requestedBy, ...(input.reason ? { reason: input.reason } : {}), ...(input.updateId ? { updateId: input.updateId } : {}) });
  let decision: BundleDecision | undefined;
  let deleteBy: string | undefined;
  setHandler(supportBundleQuery, () => record);
  setHandler(
    decideSupportBundle,
    (d) => {
      decision = d;
      return record;
    },
    {
      validator: (d) => {
        if (record.status !== 'waiting-consent' || decision) refuse(ErrorType.InvalidState, `support bundle ${record.id} is ${record.status}: nothing to decide`);
        if (d.by === input.requestedBy) refuse(ErrorType.InvalidState, `${d.by} asked for this bundle and cannot decide on it`);
      },
    },
  );
  setHandler(
    deleteRequest,
    ({ by }) => {
      deleteBy = by;
      return record;
    },
    { validator: (_: { by: string }) => (record.status === 'deleted' || record.status === 'collecting' ? refuse(ErrorType.InvalidState, `support bundle ${record.id} is ${record.status}: nothing to delete now`) : undefined) },
  );
  const enter = async (status: BundleStatus, error?: string) => {
    record = { ...record, status, ...(error ? { error } : {}) };
    await setSupportBundleStatus(record.id, status, error);
  };

  // Asked again after a crash, a failure's bundle that already ended is not collected twice.
  if (record.status !== 'waiting-consent') return record;
  const allowed = input.trigger === 'operator' ? policy.requests : policy.onUpdateFailure === 'collect' ? 'allow' : 'never';
  if (allowed === 'never') {
    await enter('not-allowed', input.trigger === 'operator' ? `the customer of ${input.cellId} allows no support bundles on request` : `the customer of ${input.cellId} has not allowed support bundles when an update fails`);
    return record;
  }
  if (allowed === 'ask') {
    const minutes = input.decisionMinutes ?? DEFAULT_DECISION_MINUTES;
    await condition(() => decision !== undefined || deleteBy !== undefined, minutes * 60_000);
    if (!decision?.approve) {
      const why = deleteBy ? `withdrawn by ${deleteBy}` : decision ? `denied by ${decision.by}${decision.reason ? `: ${decision.reason}` : ''}` : `no decision within ${minutes} minutes`;
      await enter('refused', why);
      return record;
    }
  }

  await enter('collecting');
  const lastUpdate = input.updateId ? await updateEvidence(input.updateId) : null;
  const releaseSpec = patched('support-bundle-release-spec') && input.version ? ((await releaseBundleSpec(input.version)) ?? undefined) : input.releaseSpec;
  const spec = collectionSpec(releaseSpec, policy.redactions);
  // What the customer agreed to, with the customer's signatures: a cell that pins its customer's key checks them.
  const consent: BundleConsent = {
    trigger: input.trigger,
    n: record.n,
    policy: { requests: policy.requests, onUpdateFailure: policy.onUpdateFailure, redactions: policy.redactions },
    ...(policy.signature ? { policySignature: policy.signature } : {}),
    ...(decision?.signature ? { approvalSignature: decision.signature } : {}),
  };
  try {
    const collected = await collectionActivities(input.target, input.agentWaitSeconds).collectSupportBundle(input.target, { bundleId: record.id, spec, consent, ...(lastUpdate ? { lastUpdate } : {}) });
    const expiresAt = new Date(Date.parse(collected.manifest.collectedAt) + policy.retentionDays * 86_400_000).toISOString();
    await supportBundleCollected(record.id, collected, expiresAt);
    record = { ...record, status: 'collected', collectedAt: collected.manifest.collectedAt, expiresAt, bytes: collected.bytes, digest: collected.digest, findings: collected.findings, manifest: collected.manifest };
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    await enter('failed', describeFailure(err));
    return record;
  }
  const text = `Support bundle ${record.id} of ${input.cellId} collected (${record.bytes} bytes, ${record.findings?.length ?? 0} findings)${input.updateId ? ` for update ${input.updateId}` : ''}`;
  await publishEvents([
    { id: `support-bundle.collected/${record.id}`, type: 'support-bundle.collected', at: now(), cellId: input.cellId, text, data: { supportBundle: record.id, ...(input.updateId ? { updateId: input.updateId } : {}), findings: record.findings?.slice(0, 5) ?? [] } },
  ]);
  // Kept until its retention ends, or someone deletes it.
  await condition(() => deleteBy !== undefined, Math.max(1, Date.parse(record.expiresAt!) - Date.now()));
  await deleteSupportBundle(record.id);
  record = { ...record, status: 'deleted', ...(deleteBy ? { error: `deleted by ${deleteBy}` } : {}) };
  return record;
}
