// Error types that cross the activity/workflow/API boundary, by name. Activities throw
// ApplicationFailure with one of these types; workflows and the API recognise them by type.

export const ErrorType = {
  /** the release is not in the catalog: retrying cannot help */
  ReleaseNotFound: 'ReleaseNotFound',
  /** the upgrade path does not allow this version from the installed one */
  IncompatibleVersion: 'IncompatibleVersion',
  /** the cluster is not fit for the update: retrying cannot help until someone acts */
  PreflightFailed: 'PreflightFailed',
  /** the cell is unknown to the cluster adapter */
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
} as const;

export type ErrorTypeName = (typeof ErrorType)[keyof typeof ErrorType];

/** Failure types no retry can fix. */
export const NON_RETRYABLE: string[] = [
  ErrorType.ReleaseNotFound,
  ErrorType.IncompatibleVersion,
  ErrorType.PreflightFailed,
  ErrorType.CellNotFound,
];

/** What a port throws for a failure it understands; activities turn it into an ApplicationFailure. */
export class PortError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly nonRetryable = false,
  ) {
    super(message);
    this.name = type;
  }
}
