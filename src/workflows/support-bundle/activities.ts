// The activities a support bundle's workflow calls, each proxied with its own profile.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { CatalogActivities, SupportBundleCollection, SupportBundleRecords, WebhookActivities } from '../../activities';
import type { ClusterTarget } from '../../domain/ports';
import { routedTo } from '../agents/routing';
import { BRIEF, OWN, UNTIL_DONE } from '../retry';

/**
 * Collecting, where the cell's cluster is reached (its agent's queue for an agent cell): a few
 * tries, then the bundle is failed, saying why. A collector that dies (its agent killed while
 * reading or uploading) stops heartbeating and is noticed in 10 s; the next try starts over,
 * since the endpoint kept nothing of an upload that did not arrive whole.
 */
export function collectionActivities(target: ClusterTarget, agentWaitSeconds?: number) {
  return proxyActivities<SupportBundleCollection>({ ...routedTo(target, agentWaitSeconds), startToCloseTimeout: '10m', heartbeatTimeout: '10s', retry: BRIEF });
}

// The bundle's record, in cellshift's own database.
export const { supportBundlePolicy, openSupportBundle, setSupportBundleStatus, supportBundleCollected, updateEvidence } = proxyLocalActivities<SupportBundleRecords>({ startToCloseTimeout: '30s', retry: OWN });

// What the release the cell runs adds to the collection, from the catalog.
export const { releaseBundleSpec } = proxyLocalActivities<Pick<CatalogActivities, 'releaseBundleSpec'>>({ startToCloseTimeout: '30s', retry: OWN });

// Deleting its bytes when its retention ends must happen: retried until it is done.
export const { deleteSupportBundle } = proxyActivities<Pick<SupportBundleRecords, 'deleteSupportBundle'>>({ startToCloseTimeout: '1m', retry: UNTIL_DONE });

// Telling subscribers a bundle was collected: queued in the database, sent by the delivery loop.
export const { publishEvents } = proxyActivities<Pick<WebhookActivities, 'publishEvents'>>({ startToCloseTimeout: '30s', retry: UNTIL_DONE });
