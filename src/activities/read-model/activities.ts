import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { CellReadModel } from '../../adapters/db/cell-read-model';
import type { UpdateReadModel } from '../../adapters/db/update-read-model';
import type { AgentPolicy } from '../../domain/agent';
import type { CellView } from '../../domain/cell';
import { agentPresence } from '../../workflows/agents/client';
import type { UpdateProgress } from '../../domain/update';

const PRESENCE_PAGE = 200;
const PRESENCE_CONCURRENCY = 8;

/** Writes to the read model the API's lists serve from; each is idempotent and ordered by its revision. */
export function createReadModelActivities(cells: CellReadModel, updates: UpdateReadModel, client: Client, agents: AgentPolicy) {
  return {
    async projectCell(view: CellView, revision: number): Promise<void> {
      await cells.write(view, revision);
    },
    async projectUpdate(progress: UpdateProgress, revision: number): Promise<void> {
      await updates.write(progress, revision);
    },
    /**
     * Records whether each agent cell's agent polls its queue (the server's pollers), a page of
     * cells at a time, so lists can show and filter agents without asking Temporal per cell.
     * Returns how many agents it looked at.
     */
    async sweepAgentPresence(): Promise<number> {
      let seen = 0;
      for (let after = ''; ; ) {
        const page = await cells.agentCells(PRESENCE_PAGE, after);
        for (let i = 0; i < page.length; i += PRESENCE_CONCURRENCY) {
          await Promise.all(
            page.slice(i, i + PRESENCE_CONCURRENCY).map(async ({ id, registered }) => {
              await cells.recordPresence(id, await agentPresence(client, id, agents.offlineAfterSeconds, { registered }));
            }),
          );
          Context.current().heartbeat(seen + i);
        }
        seen += page.length;
        if (page.length < PRESENCE_PAGE) return seen;
        after = page.at(-1)!.id;
      }
    },
  };
}

export type ReadModelActivities = ReturnType<typeof createReadModelActivities>;
