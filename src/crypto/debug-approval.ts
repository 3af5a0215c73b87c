// A customer's approval of a debug access request, as the customer signs it and the cell checks it:
// the request's own terms (cell, number, scope, duration, the key the token is sealed to), canonical
// JSON hashed with SHA-256. An approval signed for other terms is no approval of these.
import { createHash } from 'node:crypto';
import type { DebugScope } from '../domain/debug-access';
import { canonicalJson, sha256Digest } from './release-digest';

export interface ApprovalTerms {
  cellId: string;
  n: number;
  scope: DebugScope;
  durationMinutes: number;
  /** SHA-256 (hex) of the requester's public key, as PEM text */
  publicKeySha256: string;
}

export function approvalDigest(terms: ApprovalTerms): string {
  return sha256Digest(canonicalJson({ kind: 'debug-access-approval', ...terms }));
}

export function publicKeySha256(publicKeyPem: string): string {
  return createHash('sha256').update(publicKeyPem.trim()).digest('hex');
}
