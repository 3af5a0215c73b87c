import { ApplicationFailure, Context } from '@temporalio/activity';
import { PortError } from '../../domain/errors';
import type { StepContext } from '../../domain/ports';

/** Every step activity reports the attempt that finished it, so progress can show attempts. */
export interface StepOutcome {
  attempt: number;
}

/** Details attached to a step's failure, read by the workflow for its progress. */
export interface StepFailureDetails {
  attempt: number;
}

/** How often a running step tells Temporal its worker is alive (the heartbeat timeout is a few times this). */
const LIVENESS_INTERVAL_MS = 2_000;

/**
 * Runs a port call inside the current activity: gives it heartbeats, the previous attempt's
 * heartbeat details and the cancellation signal, and turns what it throws into an
 * ApplicationFailure that keeps the port's error type and says which attempt failed. While the
 * call runs, it heartbeats on its own, so a killed worker is noticed within the heartbeat
 * timeout and a cancellation reaches the call.
 */
export async function runStep<T>(call: (ctx: StepContext) => Promise<T>): Promise<T & StepOutcome> {
  const activity = Context.current();
  const attempt = activity.info.attempt;
  let details: unknown = activity.info.heartbeatDetails;
  const liveness = setInterval(() => activity.heartbeat(details), LIVENESS_INTERVAL_MS);
  const ctx: StepContext = {
    heartbeat: (next) => {
      details = next;
      activity.heartbeat(next);
    },
    resumeFrom: activity.info.heartbeatDetails,
    signal: activity.cancellationSignal,
    suspendHeartbeats: () => clearInterval(liveness),
  };
  try {
    const result = await call(ctx);
    return { ...(result ?? ({} as T)), attempt };
  } catch (err) {
    if (activity.cancellationSignal.aborted) throw err;
    const failure: StepFailureDetails = { attempt };
    if (err instanceof PortError) {
      throw ApplicationFailure.create({ type: err.type, message: err.message, nonRetryable: err.nonRetryable, details: [failure] });
    }
    // Not a failure the port understood: its class name is its type, and it is retried.
    const error = err as Error;
    throw ApplicationFailure.create({ type: error.name ?? 'Error', message: error.message ?? String(err), details: [failure] });
  } finally {
    clearInterval(liveness);
  }
}
