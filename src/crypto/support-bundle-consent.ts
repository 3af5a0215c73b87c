// A customer's consent to support bundles, as the customer signs it and the cell checks it: the
// cell's policy (what may be collected, with the customer's own redactions), and the approval of
// one operator's request under a policy that asks. Canonical JSON hashed with SHA-256, signed under
// the context `cellshift support-bundle-consent v1`; a signature made for other terms is none.
import type { BundleConsent, SupportBundlePolicy } from '../domain/support-bundle/bundle';
import type { CollectionSpec } from '../domain/support-bundle/spec';
import { canonicalJson, sha256Digest } from './release-digest';
import type { VendorKeys } from './release-signature';

/** What the customer signs of a policy: what the cell itself can hold to (not retention: the control plane keeps the bytes). */
export type PolicyTerms = Pick<SupportBundlePolicy, 'requests' | 'onUpdateFailure' | 'redactions'> & { cellId: string };

export function policyDigest(terms: PolicyTerms): string {
  return sha256Digest(canonicalJson({ kind: 'support-bundle-policy', cellId: terms.cellId, requests: terms.requests, onUpdateFailure: terms.onUpdateFailure, redactions: terms.redactions }));
}

/** The approval of one operator's request: the cell and the request's number. */
export function bundleApprovalDigest(terms: { cellId: string; n: number }): string {
  return sha256Digest(canonicalJson({ kind: 'support-bundle-approval', cellId: terms.cellId, n: terms.n }));
}

/**
 * Why a cell that pins its customer's keys collects nothing for this request, or undefined when the
 * customer signed a policy that allows it (and, for a policy that asks, the approval of this very
 * request), and the collection keeps every redaction the customer signed.
 */
export function consentRefusal(cellId: string, consent: BundleConsent | undefined, spec: CollectionSpec, keys: VendorKeys): string | undefined {
  if (!consent) return 'the request carries no consent of its customer';
  const policy = keys.refusal(policyDigest({ cellId, ...consent.policy }), consent.policySignature, 'support-bundle-consent');
  if (policy) return `the customer's policy: ${policy}`;
  if (consent.trigger === 'update-failed' && consent.policy.onUpdateFailure !== 'collect') return 'the policy the customer signed collects nothing when an update fails';
  if (consent.trigger === 'operator') {
    if (consent.policy.requests === 'never') return "the policy the customer signed allows no operator's request";
    if (consent.policy.requests === 'ask') {
      const approval = keys.refusal(bundleApprovalDigest({ cellId, n: consent.n }), consent.approvalSignature, 'support-bundle-consent');
      if (approval) return `the customer's approval of request ${consent.n}: ${approval}`;
    }
  }
  const kept = new Set(spec.redactions.map((rule) => canonicalJson(rule)));
  const dropped = consent.policy.redactions.filter((rule) => !kept.has(canonicalJson(rule)));
  if (dropped.length > 0) return `the collection leaves out the customer's redactions ${dropped.map((r) => r.name).join(', ')}`;
  return undefined;
}
