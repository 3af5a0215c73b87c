// cellshift on Temporal's own server with PostgreSQL persistence and visibility, as production runs
// it, instead of the dev server on SQLite every other test uses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type Postgres } from '../scripts/lib/postgres';
import { startTemporalOnPostgres, type TemporalOnPostgres } from '../scripts/lib/temporal-server';
import { Harness } from './helpers/harness';

describe('cellshift on a Temporal server backed by PostgreSQL', () => {
  let pg: Postgres;
  let server: TemporalOnPostgres;
  let h: Harness;

  beforeAll(async () => {
    pg = await startPostgres();
    server = await startTemporalOnPostgres(pg);
    h = await Harness.start({ address: server.address });
  }, 600_000); // the first run builds the server (scripts/test.sh builds it before the tests)
  afterAll(async () => {
    await h?.stop();
    await server?.stop();
    pg?.stop();
  });

  it('runs an update, lists the cell, and finds it through visibility', async () => {
    await h.registerCell('pg-cell-1');
    const accepted = await h.requestUpdate('pg-cell-1', { version: '1.2.0', window: 'now' });
    expect(accepted.status).toBe(202);
    expect((await h.waitForUpdate(accepted.body.id)).status).toBe('succeeded');

    const list = await h.http('GET', '/v1/cells?ring=saas', undefined, 'viewer');
    expect(list.body.cells.map((c: any) => c.id)).toContain('pg-cell-1');
    // The list above comes from cellshift's read model; this query goes to the visibility store, on
    // cellshift's custom search attributes.
    const query = `WorkflowType = 'cellController' AND Ring = 'saas' AND CellId = 'pg-cell-1' AND TaskQueue = '${h.taskQueue}'`;
    const found = await h.waitFor('the controller in visibility', async () => {
      const ids: string[] = [];
      for await (const execution of h.client.workflow.list({ query })) ids.push(execution.workflowId);
      return ids.length > 0 ? ids : undefined;
    });
    expect(found).toEqual(['cell/pg-cell-1']);
    await h.waitForCellIdle('pg-cell-1');
  });

  it('updates again after PostgreSQL has been down and back', async () => {
    pg.stop();
    pg.start();
    // The server reconnects within a second or two; a request in that moment may be refused (and changes nothing).
    const accepted = await h.waitFor('the update accepted', async () => {
      const res = await h.requestUpdate('pg-cell-1', { version: '2.0.0', window: 'now' });
      return res.status === 202 ? res : undefined;
    }, 30_000);
    expect((await h.waitForUpdate(accepted.body.id, undefined, 120_000)).status).toBe('succeeded');
    expect((await h.simulated.read('pg-cell-1')).version).toBe('2.0.0');
  });
});
