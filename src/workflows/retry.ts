// The retry profiles every activity proxy takes one of, each with why. A proxy adds only its own
// timeouts (and its queue); what it does with a failure that outlasts its profile is the caller's.
import type { RetryPolicy } from '@temporalio/workflow';
import { NON_RETRYABLE } from '../domain/errors';

/**
 * A step that changes a live cell (an update's steps, granting debug access): a few quick retries
 * absorb a blip, then the saga compensates. Refusals cellshift names are never retried.
 */
export const STEP: RetryPolicy = { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE };

/**
 * A read or an idempotent write that something tries again anyway (the next drift check, the next
 * flags push, the next sweep or delivery loop, the step's own workflow): about a minute of retries.
 */
export const BRIEF: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE };

/**
 * Something that may still be coming up or slow to answer (a new cell's cluster or stack, the
 * cluster read back once an update ended, a stack update, requests to many cells at once): about
 * eight minutes of retries before the failure is shown.
 */
export const PATIENT: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20, nonRetryableErrorTypes: NON_RETRYABLE };

/**
 * cellshift's own database or server (the catalog, a cell's configuration, a controller asked by
 * another workflow): it answers in milliseconds or is down; a refusal it sends is final.
 */
export const OWN: RetryPolicy = { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 10 };

/**
 * Must happen, and doing it twice does no harm (the read model's writes, a removal's last steps,
 * revoking a grant, a veto's cancels, waiting for another workflow): retried until it is done.
 */
export const UNTIL_DONE: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' };

/** Telling people must not be lost, nor flood a mail server that is down: retried for a day, further and further apart (with `scheduleToCloseTimeout: '1d'`). */
export const NOTIFY: RetryPolicy = { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '10m' };
