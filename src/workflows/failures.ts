import { ActivityFailure, ApplicationFailure, TemporalFailure } from '@temporalio/workflow';
import type { StepFailureDetails } from '../activities/step-context';

/** The innermost message of a failure, the one an operator can act on. */
export function describeFailure(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return describeFailure(err.cause);
  if (err instanceof TemporalFailure && err.cause) return `${err.message}: ${describeFailure(err.cause)}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The ApplicationFailure an activity threw, when that is what failed. */
export function applicationCause(err: unknown): ApplicationFailure | undefined {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause;
  if (err instanceof ApplicationFailure) return err;
  return undefined;
}

/** The attempt a failed step activity reported, or 1 when it could not say. */
export function failedAttempt(err: unknown): number {
  const details = applicationCause(err)?.details?.[0] as StepFailureDetails | undefined;
  return typeof details?.attempt === 'number' ? details.attempt : 1;
}

/** The step an activity that carries out two steps in turn failed in, when it said. */
export function failedStep(err: unknown): string | undefined {
  const details = applicationCause(err)?.details?.[0] as StepFailureDetails | undefined;
  return details?.step;
}
