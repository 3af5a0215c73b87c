import type { CatalogRelease } from '../../domain/release';
import {
  ApplicationFailure,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  QueryNotRegisteredError,
} from '@temporalio/client';
import { ErrorType } from '../../domain/errors';

export interface FieldError {
  field: string;
  reason: string;
}

/** An error the API answers as application/problem+json. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
  }
}

export function badRequest(errors: FieldError[]): HttpProblem {
  return new HttpProblem(400, 'Invalid request', errors.map((e) => `${e.field}: ${e.reason}`).join('; '), { errors });
}

export function notFound(what: string): HttpProblem {
  return new HttpProblem(404, 'Not found', `${what} does not exist`);
}

// gRPC status codes, as numbers: the enum lives in a package we do not depend on directly.
const GRPC = { DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, FAILED_PRECONDITION: 9, UNAVAILABLE: 14 };

const STATUS_BY_FAILURE: Record<string, number> = {
  [ErrorType.UpdateInProgress]: 409,
  [ErrorType.InvalidState]: 409,
  [ErrorType.CellNotReady]: 409,
  [ErrorType.UpdatesHeld]: 409,
  [ErrorType.AlreadyInstalled]: 409,
  [ErrorType.ReleaseNotFound]: 422,
  [ErrorType.IncompatibleVersion]: 422,
  [ErrorType.ReleaseVetoed]: 422,
};

/** Temporal's errors, as what they mean to a client of the API. */
export function fromTemporal(err: unknown, what: string): HttpProblem | undefined {
  if (err instanceof WorkflowNotFoundError) return notFound(what);
  if (err instanceof WorkflowExecutionAlreadyStartedError) return new HttpProblem(409, 'Conflict', `${what} already exists`);
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure && cause.type && STATUS_BY_FAILURE[cause.type]) {
      const details = (cause.details?.[0] ?? {}) as Record<string, unknown>;
      return new HttpProblem(STATUS_BY_FAILURE[cause.type], cause.type, cause.message, details);
    }
    return new HttpProblem(409, 'Rejected', cause?.message ?? err.message);
  }
  if (err instanceof QueryNotRegisteredError) return notFound(what);
  if (err instanceof ServiceError) {
    const code = (err.cause as { code?: number } | undefined)?.code;
    if (code === GRPC.NOT_FOUND) return notFound(what);
    if (code === GRPC.FAILED_PRECONDITION && /completed|closed/i.test(err.message)) {
      return new HttpProblem(409, 'Conflict', `${what} has already ended`);
    }
    if (code === GRPC.UNAVAILABLE || code === GRPC.DEADLINE_EXCEEDED) {
      return new HttpProblem(503, 'Temporal unavailable', err.message);
    }
  }
  return undefined;
}

/** 422 for a request that would install a vetoed release, naming the veto. */
export async function refuseVetoed(catalog: { get(version: string): Promise<CatalogRelease | undefined> }, version: string): Promise<void> {
  const veto = (await catalog.get(version))?.veto;
  if (veto) throw new HttpProblem(422, 'ReleaseVetoed', `release ${version} was vetoed by ${veto.by} at ${veto.at}: ${veto.reason}`, { veto });
}
