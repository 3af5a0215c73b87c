// A support bundle as cellshift records it: who asked and why, the cell's customer's consent, and
// once collected, what it holds (its size, digest, findings, and what was redacted or left out).
import type { Finding } from './analyze';
import type { ReleaseSignature } from '../schemas/release';
import type { RedactionCounts, RedactionRule } from './redact';

/** asked by an operator, or collected because an update failed or was rolled back */
export type BundleTrigger = 'operator' | 'update-failed';

export type BundleStatus =
  /** the customer's approval is awaited */
  | 'waiting-consent'
  | 'collecting'
  | 'collected'
  /** the customer said no, or did not answer in time */
  | 'refused'
  /** the cell's policy does not allow it: nothing was collected */
  | 'not-allowed'
  | 'failed'
  /** its retention ended, or someone deleted it: the record stays, the bytes are gone */
  | 'deleted';

/** What the cell's customer allows (set with the cell's customer token). */
export interface SupportBundlePolicy {
  /** an operator's request: the customer approves each (`ask`), all are allowed, or none */
  requests: 'ask' | 'allow' | 'never';
  /** when an update fails or is rolled back: collect at once, or not */
  onUpdateFailure: 'collect' | 'never';
  /** how long a bundle is kept */
  retentionDays: number;
  /** the customer's own redactions, beyond the built-in ones */
  redactions: RedactionRule[];
  /** the customer's signature over the policy's terms (src/crypto/support-bundle-consent.ts): what a cell pinning its customer's key holds to */
  signature?: ReleaseSignature;
}

/** What a collection carries into the cell to show its customer agreed (checked by src/crypto/support-bundle-consent.ts). */
export interface BundleConsent {
  trigger: BundleTrigger;
  /** the request's number */
  n: number;
  policy: Pick<SupportBundlePolicy, 'requests' | 'onUpdateFailure' | 'redactions'>;
  /** the customer's signature over the policy's terms */
  policySignature?: ReleaseSignature;
  /** the customer's signature over this request's approval (a policy that asks) */
  approvalSignature?: ReleaseSignature;
}

export const DEFAULT_SUPPORT_BUNDLE_POLICY: SupportBundlePolicy = { requests: 'ask', onUpdateFailure: 'never', retentionDays: 30, redactions: [] };

/** What a collected bundle holds, written into it as manifest.json too. */
export interface BundleManifest {
  specVersion: number;
  /** what it was collected with: cellshift's spec, as the release running in the cell extends it */
  limits: { logLines: number; maxBytes: number };
  cellId: string;
  collectedAt: string;
  /** who collected it: the cell's agent (its identity) or the control plane's worker */
  collectedBy: string;
  files: { path: string; bytes: number }[];
  /** paths over the cap, left out */
  leftOut: string[];
  redactions: RedactionCounts;
  /** collectors that could not read what they look for (RBAC, an API missing), and why */
  errors: { collector: string; error: string }[];
}

export interface SupportBundleRecord {
  id: string;
  cellId: string;
  n: number;
  /** the workflow that asks, collects and keeps it */
  workflowId: string;
  status: BundleStatus;
  trigger: BundleTrigger;
  requestedBy: string;
  reason?: string;
  updateId?: string;
  requestedAt: string;
  collectedAt?: string;
  expiresAt?: string;
  bytes?: number;
  digest?: string;
  findings?: Finding[];
  manifest?: BundleManifest;
  error?: string;
}

/** `<cell>/<n>`: a bundle's id names its cell. */
export function bundleId(cellId: string, n: number): string {
  return `${cellId}/${n}`;
}
