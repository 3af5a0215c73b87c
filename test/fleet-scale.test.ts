import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_RELEASES } from '../scripts/seed/demo-fleet';
import type { CellSpec } from '../src/domain/cell';
import { maxOverlap } from '../src/domain/rollout';
import { cellWorkflowId } from '../src/workflows/ids';
import { CellIdKey, CellStatusKey, RingKey } from '../src/workflows/search-attributes';
import { Harness, everyDay, utcClock } from './helpers/harness';

const CELLS_PER_RING = 100;
const VERSION = '1.2.9';

describe('a rollout over several hundred cells', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
    await h.catalog.publish({ ...DEMO_RELEASES.find((r) => r.version === '1.2.0')!, version: VERSION }, { rings: ['staging', 'saas', 'dedicated'] });
  });
  afterAll(() => h?.stop());

  it(`takes ${3 * CELLS_PER_RING} cells to the release in waves of 50`, { timeout: 600_000 }, async () => {
    const window = everyDay(utcClock(-60_000), 600) as CellSpec['maintenanceWindow'];
    const specs: CellSpec[] = (['staging', 'saas', 'dedicated'] as const).flatMap((ring) =>
      Array.from({ length: CELLS_PER_RING }, (_, i) => ({
        id: `scale-${ring}-${String(i).padStart(3, '0')}`,
        ring,
        strategy: 'maintenance-window' as const,
        maintenanceWindow: window,
        cluster: { kind: 'simulated' as const, initialVersion: '1.1.0' },
        expectedUpdateMinutes: 5,
      })),
    );
    // Registered straight through the client: the API's registration is tested elsewhere.
    await Promise.all(
      specs.map((spec) =>
        h.client.workflow.start('cellController', {
          workflowId: cellWorkflowId(spec.id),
          taskQueue: h.taskQueue,
          args: [{ spec }],
          typedSearchAttributes: [
            { key: CellIdKey, value: spec.id },
            { key: RingKey, value: spec.ring },
            { key: CellStatusKey, value: 'registering' },
          ],
        }),
      ),
    );
    await h.waitFor('all cells registered', async () => {
      const res = await h.http('GET', '/v1/cells?status=ready&pageSize=1000');
      return res.body.cells.filter((c: any) => c.id.startsWith('scale-')).length === specs.length ? true : undefined;
    }, 300_000);

    const started = Date.now();
    expect((await h.http('POST', '/v1/rollouts', { version: VERSION, waves: { maxConcurrent: 50, maxFailurePercent: 5 } }, 'operator')).status).toBe(202);
    const done = await h.waitFor('rollout done', async () => {
      const res = await h.http('GET', `/v1/rollouts/${VERSION}`);
      return res.body?.status === 'succeeded' || res.body?.status === 'halted' ? res.body : undefined;
    }, 540_000);
    console.log(`rollout of ${specs.length} cells: ${((Date.now() - started) / 1000).toFixed(1)} s`);

    expect(done.status).toBe('succeeded');
    expect(done.counts).toEqual({ pending: 0, running: 0, succeeded: specs.length, failed: 0, held: 0 });
    for (const ring of done.rings) expect(maxOverlap(ring.cells)).toBeLessThanOrEqual(50);
    for (const spec of [specs[0], specs[150], specs.at(-1)!]) expect((await h.simulated.read(spec.id)).version).toBe(VERSION);
  });
});
