import type { FastifyInstance } from 'fastify';
import { cellWorkflowId } from '../workflows/ids';

/** What these reads need of the app: its Temporal client and task queue, and its page tokens. */
type TemporalReach = Pick<FastifyInstance, 'temporal' | 'taskQueue' | 'pageTokens'>;

interface ListQuery {
  ring?: string;
  state?: string;
  status?: string;
  version?: string;
  pageSize?: number;
  pageToken?: string;
}

/**
 * Cells from Temporal's visibility store, filtered by their search attributes, one page at a
 * time. Reads no workflow state: a fleet of thousands lists without a query per cell.
 */
export async function listCells(ctx: TemporalReach, query: ListQuery) {
  const filters = [`WorkflowType = 'cellController'`, `ExecutionStatus = 'Running'`];
  if (query.ring) filters.push(`Ring = '${query.ring}'`);
  const state = query.status ?? query.state;
  if (state) filters.push(`CellStatus = '${state}'`);
  if (query.version) filters.push(`AppVersion = '${query.version}'`);
  const response = await ctx.temporal.workflowService.listWorkflowExecutions({
    namespace: ctx.temporal.options.namespace,
    query: filters.join(' AND '),
    pageSize: query.pageSize ?? 100,
    // Visibility's own token, inside a signed one: a garbage token is a 400 here, not a slow error from the server.
    nextPageToken: query.pageToken ? Buffer.from(ctx.pageTokens.open<{ visibility: string }>(query.pageToken, 'query.pageToken').visibility, 'base64url') : undefined,
  });
  const cells = (response.executions ?? []).map((execution) => {
    const attributes = execution.searchAttributes?.indexedFields ?? {};
    const read = (name: string): string | undefined => {
      const payload = attributes[name];
      if (!payload?.data) return undefined;
      const value = JSON.parse(Buffer.from(payload.data).toString('utf8')) as unknown;
      return Array.isArray(value) ? String(value[0]) : String(value);
    };
    const version = read('AppVersion');
    return {
      id: read('CellId') ?? execution.execution?.workflowId?.replace(/^cell\//, '') ?? '',
      ring: read('Ring') ?? '',
      state: read('CellStatus') ?? 'registering',
      version: version && version !== 'none' ? version : null,
    };
  });
  cells.sort((a, b) => a.id.localeCompare(b.id));
  const token = response.nextPageToken?.length ? ctx.pageTokens.seal({ visibility: Buffer.from(response.nextPageToken).toString('base64url') }) : undefined;
  return { cells, nextPageToken: token };
}

/** Ids of the running cell controllers of a ring, served by this cellshift's task queue. */
export async function ringCellIds(ctx: TemporalReach, ring: string): Promise<string[]> {
  const ids: string[] = [];
  const query = `WorkflowType = 'cellController' AND ExecutionStatus = 'Running' AND Ring = '${ring}' AND TaskQueue = '${ctx.taskQueue}'`;
  for await (const execution of ctx.temporal.workflow.list({ query })) ids.push(execution.workflowId.replace(/^cell\//, ''));
  return ids;
}

/** Whether a cell is registered: its controller runs. */
export async function cellExists(ctx: TemporalReach, cellId: string): Promise<boolean> {
  try {
    return (await ctx.temporal.workflow.getHandle(cellWorkflowId(cellId)).describe()).status.name === 'RUNNING';
  } catch {
    return false;
  }
}
