// Kubernetes API calls and their failures: each call's error becomes a PortError that names what
// was attempted and the HTTP status, retryable or not.
import { ApiException } from '@kubernetes/client-node';
import { ErrorType, type ErrorTypeName, PortError } from '../../domain/errors';

/** A failed API call, with the HTTP status the API server answered. */
export class KubeCallError extends PortError {
  constructor(
    type: ErrorTypeName,
    message: string,
    nonRetryable: boolean,
    readonly status?: number,
  ) {
    super(type, message, nonRetryable);
  }
}

export function statusOf(err: unknown): number | undefined {
  return err instanceof KubeCallError ? err.status : undefined;
}

export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404;
}

export function ignoreNotFound(err: unknown): void {
  if (!isNotFound(err)) throw err;
}

/**
 * One API call, its failure turned into a PortError naming what was attempted and the status:
 * refused credentials and invalid objects are not retried; the rest (network, 5xx, 429, 409 on
 * apply) are.
 */
export async function kubeCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof PortError) throw err;
    if (err instanceof ApiException) {
      const code = err.code as number;
      const body = typeof err.body === 'string' ? safeMessage(err.body) : (err.body as { message?: string } | undefined)?.message;
      const permanent = code === 401 || code === 403 || code === 400 || code === 422;
      throw new KubeCallError(permanent ? ErrorType.ClusterRefused : ErrorType.ClusterCallFailed, `cannot ${what} (${code}): ${body ?? 'no message'}`, permanent, code);
    }
    throw new KubeCallError(ErrorType.ClusterUnreachable, `cannot ${what}: ${(err as Error).message}`, false);
  }
}

/** The API server's message out of a JSON Status body; else the body's start. */
export function safeMessage(body: string): string {
  try {
    return (JSON.parse(body) as { message?: string }).message ?? body.slice(0, 300);
  } catch {
    return body.slice(0, 300);
  }
}
