import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startDevServer, type DevServer } from '../scripts/lib/dev-server';
import { Harness } from './helpers/harness';

describe('the Temporal server restarted during an update', () => {
  let server: DevServer;
  let h: Harness;
  const dbFile = join(mkdtempSync(join(tmpdir(), 'cellshift-db-')), 'temporal.db');
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    server = await startDevServer({ port, dbFile, headless: true });
    h = await Harness.start({ address: server.address });
  });
  afterAll(async () => {
    await h?.stop();
    await server?.stop();
  });

  it('resumes from the same database and the update completes', async () => {
    await h.registerCell('restart');
    await h.http('PUT', '/v1/sim/cells/restart/faults', { apply: { mode: 'none', latencyMs: 3_000 } });
    const accepted = await h.requestUpdate('restart', { version: '1.2.0', window: 'now' });
    await h.waitForStep(accepted.body.id, 'apply', 'running');

    await server.stop();
    server = await startDevServer({ port, dbFile, headless: true });

    const update = await h.waitForUpdate(accepted.body.id, undefined, 120_000);
    expect(update.status).toBe('succeeded');
    const sim = await h.simulated.read('restart');
    expect(sim).toMatchObject({ version: '1.2.0', maintenance: false });
    expect(sim.log.filter((e) => e.op === 'apply')).toHaveLength(1);
    expect((await h.waitForCellIdle('restart')).history.at(-1)).toMatchObject({ result: 'succeeded', version: '1.2.0' });
  });
});
