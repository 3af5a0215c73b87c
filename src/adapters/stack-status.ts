// CloudFormation vocabulary shared by the AWS and the simulated stack adapters, so both name
// change sets, end waits and explain failures the same way.

/** The change set that takes a stack to a template version: `cellshift-1-2-0` for 1.2.0. */
export function changeSetName(templateVersion: string): string {
  // Change set names are [a-zA-Z][-a-zA-Z0-9]*, at most 128 characters.
  return `cellshift-${templateVersion.replace(/[^a-zA-Z0-9-]/g, '-')}`.slice(0, 128);
}

/** CloudFormation's reason for a change set that would change nothing (it ends FAILED). */
export const NO_CHANGES_REASON = "The submitted information didn't contain changes. Submit different information to create a change set.";

export function isNoChanges(statusReason: string | undefined): boolean {
  return /didn't contain changes|No updates are to be performed/i.test(statusReason ?? '');
}

/**
 * Where a stack stands for someone waiting on its update: still moving, done, or failed (rolled
 * back, or stuck in a *_FAILED state, or not a usable stack at all).
 */
export function updateOutcome(status: string): 'in-progress' | 'complete' | 'failed' {
  if (status === 'REVIEW_IN_PROGRESS') return 'failed'; // never created: nothing will move it on
  if (status.endsWith('_IN_PROGRESS')) return 'in-progress';
  if (status === 'UPDATE_COMPLETE' || status === 'CREATE_COMPLETE' || status === 'IMPORT_COMPLETE') return 'complete';
  return 'failed';
}

export interface StackEventLike {
  logicalId: string;
  /** true for the stack's own events (resource type AWS::CloudFormation::Stack, logical id the stack name) */
  isStack: boolean;
  status: string;
  reason?: string;
}

/**
 * Why the newest update failed: `<logicalId>: <reason>` for each resource that ended *_FAILED
 * since the stack's last UPDATE_IN_PROGRESS. `events` newest first, as DescribeStackEvents
 * returns them. Resources only cancelled because another failed are left out when the real
 * failure is known; with no resource reason, the stack's own reasons are used.
 */
export function failureReasons(events: StackEventLike[]): string[] {
  const resources: string[] = [];
  const cancelled: string[] = [];
  const stack: string[] = [];
  for (const event of events) {
    if (event.isStack && event.status === 'UPDATE_IN_PROGRESS') break; // the newest update's start
    if (event.isStack) {
      if (event.reason && /FAILED|ROLLBACK_IN_PROGRESS/.test(event.status)) stack.push(event.reason);
      continue;
    }
    if (!event.status.endsWith('_FAILED')) continue;
    const line = `${event.logicalId}: ${event.reason ?? event.status}`;
    const bucket = /cancelled/i.test(event.reason ?? '') ? cancelled : resources;
    if (!bucket.includes(line)) bucket.push(line);
  }
  // Oldest first reads like the story of the update.
  if (resources.length) return resources.reverse();
  if (cancelled.length) return cancelled.reverse();
  return stack.reverse();
}
