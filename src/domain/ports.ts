// The ports activities call. Each has a real adapter and a simulated one (src/adapters).
import type { CellConnection } from './agent';
import type { ClusterRef } from './cell';
import type { DebugGrant } from './debug-access';
import type { HealthReport } from './health';
import type { CellEvidence } from './support-bundle/collect';
import type { CatalogRelease, Release, ReleaseSource, Ring, ReleaseEmergency, ReleaseVeto } from './release';

/** Which cell, and the reference its adapter resolves to a connection. */
export interface ClusterTarget {
  cellId: string;
  cluster: ClusterRef;
  /** `agent`: the cell's steps run on its agent's task queue (absent: direct) */
  connection?: CellConnection;
}

/** What a long step may tell its caller while it runs, and how it learns it must stop. */
export interface StepContext {
  heartbeat(details?: unknown): void;
  /** details of the last heartbeat of a previous attempt, to resume where it stopped */
  resumeFrom?: unknown;
  signal: AbortSignal;
  /** stops the automatic liveness heartbeats: for simulating a stuck call */
  suspendHeartbeats?(): void;
}

/** The configuration a cell's objects were rendered with: a revision of its values, and the digest of the rendered manifests. */
export interface AppliedConfig {
  revision: number;
  digest: string;
}

/** A release rendered with one cell's configuration: which, and the Secrets of the cell its manifests now refer to (checked, never read). */
export interface Rendering extends AppliedConfig {
  secrets: { item: string; name: string; key: string }[];
}

/** A release as a step hands it to a cluster: its manifests rendered for the cell, when the step named the cell's configuration. */
export type RenderedRelease = Release & { rendered?: Rendering };

export interface ClusterPort {
  /** Connects a cell for the first time; returns the version it runs, if any. Idempotent. */
  register(target: ClusterTarget, ctx: StepContext, initial?: Release): Promise<{ version?: string }>;
  /** Throws PreflightFailed when the cluster cannot take this release now (a Secret its configuration refers to missing included). */
  preflight(target: ClusterTarget, release: RenderedRelease, ctx: StepContext): Promise<void>;
  setMaintenance(target: ClusterTarget, enabled: boolean, ctx: StepContext): Promise<void>;
  pullImages(target: ClusterTarget, images: string[], ctx: StepContext): Promise<void>;
  /**
   * Applies the release (or only `components` of it), recording what it replaced under `key`.
   * Applying again under the same key is a no-op.
   */
  apply(target: ClusterTarget, release: RenderedRelease, key: string, ctx: StepContext, components?: string[]): Promise<void>;
  /** Restores what `apply` recorded under `key`; a no-op when nothing was applied under it. */
  rollback(target: ClusterTarget, key: string, ctx: StepContext): Promise<void>;
  /** One health check: error rate, ready replicas, what is unhealthy. */
  checkHealth(target: ClusterTarget, ctx: StepContext): Promise<HealthReport>;
  /** Pushes the feature flags the product reads, without a redeploy. Replaces the whole set. */
  setFlags(target: ClusterTarget, flags: Record<string, boolean>, ctx: StepContext): Promise<void>;
  /** Waits for the rollout of the release to be complete and healthy. */
  verify(target: ClusterTarget, release: Release, ctx: StepContext): Promise<void>;
  /** The version the cluster actually runs, read from the cluster itself. */
  actualVersion(target: ClusterTarget, ctx: StepContext): Promise<string | undefined>;
  /** The configuration the cell's objects were last rendered with, read from the cluster itself (none: never rendered by cellshift). */
  actualConfig(target: ClusterTarget, ctx: StepContext): Promise<AppliedConfig | undefined>;
  /** Whether the cell is in maintenance mode, read from the cluster itself. */
  inMaintenance(target: ClusterTarget, ctx: StepContext): Promise<boolean>;
  /** Creates (or finds) a debug grant's account, role and binding in its namespace; returns a new token for it, valid until the grant ends. */
  grantDebugAccess(target: ClusterTarget, grant: DebugGrant, ctx: StepContext): Promise<{ token: string }>;
  /** Deletes everything of debug grant `n` (its token stops working); what is gone is done. */
  revokeDebugAccess(target: ClusterTarget, n: number, ctx: StepContext): Promise<void>;
  /** Revokes every debug grant whose expiry has passed; their numbers. */
  sweepExpiredDebugAccess(target: ClusterTarget, ctx: StepContext): Promise<number[]>;
  /**
   * What a support bundle holds, read in the cell: the cluster, its nodes, the installation's
   * workloads, pods, events, the last lines of each container's log, certificates' dates, and
   * cellshift's own records; with the installation's Secret values, to redact them (never written).
   * A collector that cannot read (a permission not granted) says so in `errors` and the rest goes on.
   */
  collectEvidence(target: ClusterTarget, options: { logLines: number }, ctx: StepContext): Promise<CellEvidence>;
}

export interface ReleaseCatalog {
  /** every release, oldest first, with its source and the rings it was promoted to */
  list(): Promise<CatalogRelease[]>;
  get(version: string): Promise<CatalogRelease | undefined>;
  /** A release's manifests as stored (canonical JSON), by their digest; whoever reads them checks it. */
  content(digest: string): Promise<string | undefined>;
  /** Stores a release (its manifests apart, by digest); publishing the same release twice is a no-op, a different one is refused. */
  publish(release: Release, options?: { source?: ReleaseSource; rings?: Ring[]; signature?: CatalogRelease['signature'] }): Promise<'created' | 'unchanged'>;
  /** Makes a release visible to a ring, after the ring before it; returns the rings it is now visible to. */
  promote(version: string, ring: Ring): Promise<Ring[]>;
  /** Vetoes a release once (the first veto stands, and is returned); undefined when there is no such release. */
  veto(version: string, veto: ReleaseVeto): Promise<ReleaseVeto | undefined>;
  /** Marks a release an emergency once (the first mark stands, and is returned); undefined when there is no such release. */
  markEmergency(version: string, emergency: ReleaseEmergency): Promise<ReleaseEmergency | undefined>;
}

import type { StackRef } from './schemas/cell';
export type { StackRef } from './schemas/cell';

export interface StackTarget {
  cellId: string;
  stack: StackRef;
}

export interface StackState {
  stackName: string;
  /** CloudFormation's stack status, e.g. UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE */
  status: string;
  /** the template version the stack runs: its `TemplateVersion` output, else its `TemplateVersion` tag */
  templateVersion?: string;
  outputs: Record<string, string>;
  parameters: Record<string, string>;
  tags: Record<string, string>;
}

export interface StackChange {
  action: string;
  logicalId: string;
  resourceType: string;
  replacement?: string;
}

export interface ChangeSetSummary {
  changeSetName: string;
  status: string;
  changes: StackChange[];
}

export interface StackPort {
  describe(target: StackTarget, ctx: StepContext): Promise<StackState>;
  /** Creates (or finds, by name) the change set that takes the stack to a template version, and lists its changes. Idempotent. */
  prepareChangeSet(target: StackTarget, template: { templateVersion: string; templateUrl: string }, ctx: StepContext): Promise<ChangeSetSummary>;
  /** Executes a prepared change set; executing one that already ran is a no-op. */
  executeChangeSet(target: StackTarget, changeSetName: string, ctx: StepContext): Promise<void>;
  /**
   * Waits, heartbeating, until the stack's update ends. Resolves on UPDATE_COMPLETE; throws a
   * non-retryable PortError `StackUpdateFailed` naming the failing resources' reasons (from the
   * stack events) on UPDATE_ROLLBACK_COMPLETE or any *_FAILED status.
   */
  waitForUpdate(target: StackTarget, ctx: StepContext): Promise<StackState>;
}

export interface Notification {
  cellId: string;
  kind:
    | 'infra-update-published'
    | 'infra-update-reminder'
    | 'infra-update-overdue'
    | 'infra-update-applied'
    | 'infra-update-failed'
    | 'debug-access-requested'
    | 'debug-access-decided'
    | 'debug-access-ended';
  subject: string;
  body: string;
  /** for reminders and deadlines */
  deadline?: string;
  /** when the workflow sent it, on the workflow's clock (which a test server may skip ahead) */
  sentAt?: string;
}

/** Tells a cell's contacts what they must do. Delivery is retried by the activity. */
export interface Notifier {
  notify(notification: Notification): Promise<void>;
}
