// Emergency debug access to a cell: asked by an operator, decided by the cell's customer, ended by a
// timer or a revocation. What a grant is, and what it may do inside the cell.

export type DebugRole = 'view' | 'edit';

/** A secret sealed to the requester's public key (src/crypto/seal.ts): X25519, HKDF-SHA-256, AES-256-GCM. */
export interface Sealed {
  algorithm: 'X25519-HKDF-SHA256-A256GCM';
  /** the sender's ephemeral public key, SPKI DER in base64 */
  ephemeralPublicKey: string;
  iv: string;
  ciphertext: string;
  tag: string;
}

export interface DebugScope {
  namespace: string;
  role: DebugRole;
}

/** What the cell is asked to create: named `cellshift-debug-<n>`, labelled with `n` and its expiry. */
/** An Ed25519 signature, as the customer's CLI makes it (src/crypto/release-signature.ts). */
export interface ConsentSignature {
  keyId: string;
  algorithm: 'ed25519';
  value: string;
}

export interface DebugGrant {
  /** the grant's number for its cell (workflow `debug/<cell>/<n>`) */
  n: number;
  scope: DebugScope;
  /** as asked for: part of the terms the customer's approval covers (absent in grants of 0.1.0) */
  durationMinutes?: number;
  /** when it ends, ISO; the objects carry it, so an agent starting later can sweep them */
  expiresAt: string;
}

export type DebugAccessStatus = 'waiting-decision' | 'granting' | 'active' | 'revoking' | 'ended';
export type DebugAccessEnd = 'denied' | 'no-decision' | 'expired' | 'revoked' | 'grant-failed';

export interface DebugAccessInput {
  cellId: string;
  n: number;
  scope: DebugScope;
  durationMinutes: number;
  /** how long the customer has to decide (no decision is a denial) */
  decisionMinutes: number;
  reason: string;
  /** the requester's X25519 public key (PEM): the token is sealed to it */
  publicKey: string;
  requestedBy: string;
}

export interface DebugAccessEvent {
  event: 'requested' | 'approved' | 'denied' | 'no-decision' | 'granted' | 'revoke-requested' | 'expired' | 'revoked' | 'grant-failed' | 'ended';
  by: string;
  at: string;
  reason?: string;
}

export interface DebugAccessView {
  id: string;
  cellId: string;
  n: number;
  scope: DebugScope;
  durationMinutes: number;
  reason: string;
  requestedBy: string;
  requestedAt: string;
  status: DebugAccessStatus;
  /** the customer decides by then */
  decideBy: string;
  /** SHA-256 (hex) of the requester's public key: part of the terms a customer's signed approval covers */
  publicKeySha256?: string;
  /** `signature`: the customer's signature over the request's terms, which a cell that pins the customer's key checks */
  decision?: { approve: boolean; by: string; at: string; reason: string; signature?: ConsentSignature };
  grantedAt?: string;
  expiresAt?: string;
  /** the token, sealed to the request's public key: ciphertext only */
  sealedToken?: Sealed;
  endedAt?: string;
  end?: DebugAccessEnd;
  events: DebugAccessEvent[];
}

/**
 * What the audit trail keeps of a request (src/adapters/db/debug-access-audit.ts): what was asked
 * for, and every step since, with who and why. Never a token, sealed or not.
 */
export interface DebugAccessTrail {
  cellId: string;
  n: number;
  scope: DebugScope;
  durationMinutes: number;
  events: DebugAccessEvent[];
}

/** The object names of grant `n` inside the cell. */
export function debugObjectName(n: number): string {
  return `cellshift-debug-${n}`;
}

export const DEBUG_GRANT_LABEL = 'cellshift.io/debug-grant';
export const DEBUG_EXPIRES_ANNOTATION = 'cellshift.io/debug-expires-at';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete'];
const WORKLOADS: [string, string[]][] = [
  ['', ['pods', 'pods/log', 'services', 'endpoints', 'configmaps', 'events', 'persistentvolumeclaims', 'serviceaccounts']],
  ['apps', ['deployments', 'replicasets', 'statefulsets', 'daemonsets']],
  ['batch', ['jobs', 'cronjobs']],
  ['networking.k8s.io', ['ingresses', 'networkpolicies']],
  ['autoscaling', ['horizontalpodautoscalers']],
  ['policy', ['poddisruptionbudgets']],
];

/**
 * What a debug role may do in its namespace. `view` reads the workloads and their logs, never
 * Secrets; `edit` also changes them, execs and port-forwards into pods, still no Secrets.
 */
export function debugRules(role: DebugRole): PolicyRule[] {
  const rules = WORKLOADS.map(([group, resources]) => ({ apiGroups: [group], resources, verbs: role === 'edit' ? [...READ, ...WRITE] : READ }));
  if (role === 'edit') rules.push({ apiGroups: [''], resources: ['pods/exec', 'pods/portforward', 'pods/attach', 'pods/ephemeralcontainers'], verbs: ['create', 'get', 'patch'] });
  return rules;
}
