// The read model's writes, as local activities: no task of their own on the server, retried until
// the database answers.
import { proxyLocalActivities } from '@temporalio/workflow';
import type { ReadModelActivities } from '../../activities';
import { UNTIL_DONE } from '../retry';

export const { projectCell, projectUpdate } = proxyLocalActivities<Pick<ReadModelActivities, 'projectCell' | 'projectUpdate'>>({
  startToCloseTimeout: '10s',
  retry: UNTIL_DONE,
});
