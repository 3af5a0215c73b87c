import type { FastifyInstance } from 'fastify';

interface ListQuery {
  ring?: string;
  state?: string;
  status?: string;
  version?: string;
  sla?: string;
  connection?: string;
  agent?: 'online' | 'offline' | 'never-seen';
  pageSize?: number;
  pageToken?: string;
}

/**
 * Cells from the read model, filtered, in id order, one page at a time: no Temporal call, however
 * large the fleet. The page token is signed; it carries the last id of the page.
 */
export async function listCells(ctx: Pick<FastifyInstance, 'cells' | 'pageTokens'>, query: ListQuery) {
  const after = query.pageToken ? ctx.pageTokens.open<{ after: string }>(query.pageToken, 'query.pageToken').after : undefined;
  const page = await ctx.cells.list({ ring: query.ring, state: query.status ?? query.state, version: query.version, sla: query.sla, connection: query.connection, agent: query.agent }, query.pageSize ?? 100, after);
  return { cells: page.cells, ...(page.more ? { nextPageToken: ctx.pageTokens.seal({ after: page.cells.at(-1)!.id }) } : {}) };
}
