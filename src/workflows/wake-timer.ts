import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';

/**
 * One durable timer to a time that may move: set to the same time again, it is left as it is; to
 * another, it is replaced; to none, it is cancelled. A rollout's wait for the next window's
 * opening and a controller's wait for its next check both use it: `rang` tells that it fired, and
 * `onRing` (when given) is called once it does.
 */
export class WakeTimer {
  private timer?: { at: number; scope: CancellationScope; rang: boolean };

  constructor(private readonly onRing?: () => void) {}

  get rang(): boolean {
    return this.timer?.rang ?? false;
  }

  set(at: number | undefined): void {
    if (this.timer && this.timer.at === at && !this.timer.rang) return;
    if (this.timer && !this.timer.rang) this.timer.scope.cancel();
    this.timer = undefined;
    if (at === undefined) return;
    const timer = { at, scope: new CancellationScope(), rang: false };
    this.timer = timer;
    timer.scope.run(() => sleep(Math.max(1, at - Date.now()))).then(
      () => {
        timer.rang = true;
        this.onRing?.();
      },
      (err: unknown) => {
        // Cancelled: replaced, or no longer wanted (or the workflow itself was cancelled).
        if (!isCancellation(err)) throw err;
      },
    );
  }
}
