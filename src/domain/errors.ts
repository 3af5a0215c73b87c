// The error contract (docs/errors.md). Every failure that crosses a boundary carries one of these
// types by name: adapters throw PortError, activities turn it into an ApplicationFailure of the same
// type, workflows recognise the types they can act on and rethrow the rest, and the API maps the
// types a client caused to 4xx problems. A type not listed here is a bug to name, not to catch.

export const ErrorType = {
  // Refusals of a request, by a controller's validator or a preflight: retrying cannot help.
  /** the release is not in the catalog */
  ReleaseNotFound: 'ReleaseNotFound',
  /** the upgrade path does not allow this version from the installed one */
  IncompatibleVersion: 'IncompatibleVersion',
  /** the cluster is not fit for the update until someone acts */
  PreflightFailed: 'PreflightFailed',
  /** the cell is unknown to the adapter, or not of its kind */
  CellNotFound: 'CellNotFound',
  /** another update runs on the cell */
  UpdateInProgress: 'UpdateInProgress',
  /** the command does not fit the current state (e.g. retry when nothing waits) */
  InvalidState: 'InvalidState',
  /** the cell controller is not ready to take updates */
  CellNotReady: 'CellNotReady',
  /** app updates are held: an infrastructure update is overdue, or the cell drifted */
  UpdatesHeld: 'UpdatesHeld',
  /** the cell already runs the version asked for */
  AlreadyInstalled: 'AlreadyInstalled',
  /** the release was vetoed: never installed or rolled out again */
  ReleaseVetoed: 'ReleaseVetoed',

  // Cluster steps (Kubernetes and simulated adapters).
  ImagePullFailed: 'ImagePullFailed',
  ApplyFailed: 'ApplyFailed',
  VerifyFailed: 'VerifyFailed',
  /** the workloads a rollback restored do not come back up */
  RollbackVerifyFailed: 'RollbackVerifyFailed',
  /** the API server refused the call (credentials, an invalid object): not retried */
  ClusterRefused: 'ClusterRefused',
  /** the API server failed the call (5xx, 429, conflict): retried */
  ClusterCallFailed: 'ClusterCallFailed',
  /** no answer from the cluster, or no usable kubeconfig */
  ClusterUnreachable: 'ClusterUnreachable',
  /** a step routed to a cell's agent was not taken by any agent within the cell's wait */
  AgentUnreachable: 'AgentUnreachable',
  /** a wait ran out of time */
  Timeout: 'Timeout',
  /** a fault injected into a simulated cell */
  SimulatedFault: 'SimulatedFault',

  // Update strategies, thrown by the workflows themselves.
  /** a live update's health analysis failed a batch */
  AnalysisFailed: 'AnalysisFailed',
  /** staging-first: the staging cell's update did not succeed */
  StagingFailed: 'StagingFailed',
  /** staging-first: staging turned unhealthy while soaking */
  SoakFailed: 'SoakFailed',
  /** staging-first: nobody decided in time (a rejection) */
  DecisionTimeout: 'DecisionTimeout',
  /** staging-first: an operator rejected the release */
  Rejected: 'Rejected',
  /** staging-first: the primary's own update did not succeed */
  PrimaryFailed: 'PrimaryFailed',
  /** staging-first: bringing staging back did not succeed */
  StagingRollbackFailed: 'StagingRollbackFailed',

  // Stacks (CloudFormation and simulated).
  StackNotFound: 'StackNotFound',
  StackBusy: 'StackBusy',
  StackUpdateFailed: 'StackUpdateFailed',
  ChangeSetNotFound: 'ChangeSetNotFound',
  ChangeSetFailed: 'ChangeSetFailed',
  ChangeSetObsolete: 'ChangeSetObsolete',
  /** the change set is in a state that cannot be executed (still creating, or failed) */
  ChangeSetNotExecutable: 'ChangeSetNotExecutable',
  InvalidStackRef: 'InvalidStackRef',
  InvalidTemplateUrl: 'InvalidTemplateUrl',
  TemplateNotFound: 'TemplateNotFound',
  TemplateTooLarge: 'TemplateTooLarge',
  /** the worker holds no credentials under the reference the cell names */
  CredentialsNotFound: 'CredentialsNotFound',

  // The release catalog.
  /** a version is published once: a different manifest under it is refused */
  ReleaseImmutable: 'ReleaseImmutable',
  /** a release is promoted ring after ring */
  PromotionOrder: 'PromotionOrder',
  /** what was fetched of a release is not what its digest names: refused before anything changes */
  ReleaseDigestMismatch: 'ReleaseDigestMismatch',
  /** the cell pins vendor keys and the release is not signed by one of them: refused before anything changes */
  ReleaseUnverified: 'ReleaseUnverified',
  /** the cell pins its customer's key and the debug access approval is not signed by it, for these terms */
  ApprovalUnverified: 'ApprovalUnverified',

  // Configuration per cell.
  /** the update names a revision of the cell's configuration the control plane does not hold */
  ConfigNotFound: 'ConfigNotFound',
  /** the release rendered with the cell's configuration differs from what preflight checked (a stack output changed meanwhile) */
  ConfigChanged: 'ConfigChanged',
} as const;

export type ErrorTypeName = (typeof ErrorType)[keyof typeof ErrorType];

/** Failure types no retry can fix: activities are not retried on them. */
export const NON_RETRYABLE: string[] = [ErrorType.ReleaseNotFound, ErrorType.IncompatibleVersion, ErrorType.PreflightFailed, ErrorType.CellNotFound, ErrorType.ReleaseDigestMismatch, ErrorType.ReleaseUnverified, ErrorType.ApprovalUnverified, ErrorType.ConfigNotFound, ErrorType.ConfigChanged];

/** What a port throws for a failure it understands; activities turn it into an ApplicationFailure. */
export class PortError extends Error {
  constructor(
    readonly type: ErrorTypeName,
    message: string,
    readonly nonRetryable = false,
  ) {
    super(message);
    this.name = type;
  }
}
