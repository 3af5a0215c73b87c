// How workflows read the failures they catch (docs/errors.md): by type, never by message.
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, TemporalFailure, TimeoutFailure } from '@temporalio/workflow';
import type { StepFailureDetails } from '../activities/update/step-context';
import { ErrorType, type ErrorTypeName } from '../domain/errors';

/** The innermost message of a failure, the one an operator can act on. */
export function describeFailure(err: unknown): string {
  if (isAgentUnreachable(err)) return `${ErrorType.AgentUnreachable}: no agent of the cell took the step (${(err as ActivityFailure).activityType}) in time; nothing was started`;
  if (err instanceof ActivityFailure && err.cause) return describeFailure(err.cause);
  if (err instanceof TemporalFailure && err.cause) return `${err.message}: ${describeFailure(err.cause)}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The ApplicationFailure an activity (or this workflow) threw, when that is what failed. */
export function applicationCause(err: unknown): ApplicationFailure | undefined {
  if ((err instanceof ActivityFailure || err instanceof ChildWorkflowFailure) && err.cause instanceof ApplicationFailure) return err.cause;
  if (err instanceof ApplicationFailure) return err;
  return undefined;
}

/** Whether an activity failed with this error type. */
export function failedWith(err: unknown, type: ErrorTypeName): boolean {
  return applicationCause(err)?.type === type;
}

/** The attempt a failed step activity reported, or 1 when it could not say. */
export function failedAttempt(err: unknown): number {
  const details = applicationCause(err)?.details?.[0] as StepFailureDetails | undefined;
  return typeof details?.attempt === 'number' ? details.attempt : 1;
}

/**
 * A step routed to a cell's agent that no agent picked up within the cell's wait (its
 * schedule-to-start timeout): the agent is away, and the step did not start.
 */
export function isAgentUnreachable(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.timeoutType === 'SCHEDULE_TO_START';
}

/** A signal sent to a workflow that no longer runs (a removed cell, a rollout that ended). */
export function isTargetGone(err: unknown): boolean {
  return err instanceof ApplicationFailure && err.type === 'ExternalWorkflowExecutionNotFound';
}

/** Fails the workflow's request (an update handler or a validator) with a named, non-retryable refusal. */
export function refuse(type: ErrorTypeName, message: string, details?: Record<string, unknown>): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true, details: details ? [details] : undefined });
}
