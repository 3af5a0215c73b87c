// /metrics after real updates: the fleet by ring, version, state, SLA and agent; updates started,
// finished by outcome, their durations as a histogram; and the worker's SDK metrics served by the
// SDK's own Prometheus exporter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../scripts/lib/dev-server';
import { Harness } from './helpers/harness';

/** The samples of a Prometheus text exposition: `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}


describe('/metrics', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
    for (const id of ['met-1', 'met-2', 'met-3']) await h.registerCell(id, { ring: 'dedicated' });
  });
  afterAll(() => h?.stop());

  it('counts the fleet and its updates as Prometheus reads them', { timeout: 120_000 }, async () => {
    expect((await h.http('GET', '/metrics', undefined, null)).status).toBe(401);
    const ok = await h.requestUpdate('met-1', { version: '1.2.0', window: 'now' });
    await h.http('PUT', '/v1/sim/cells/met-2/faults', { verify: { mode: 'fail' } });
    const bad = await h.requestUpdate('met-2', { version: '1.2.0', window: 'now' });
    expect((await h.waitForUpdate(ok.body.id)).status).toBe('succeeded');
    const failed = (await h.waitForUpdate(bad.body.id)).status;
    await h.waitFor('met-1 on 1.2.0 in the read model', async () => ((await h.http('GET', '/v1/cells/met-1')).body.version === '1.2.0' ? true : undefined));
    // The read model hears of each end, and each cell's controller of it, a moment after the workflow.
    for (const id of ['met-1', 'met-2']) await h.waitForCellIdle(id);
    await h.waitFor('both updates ended in the read model', async () => {
      const res = await fetch(`${h.baseUrl}/metrics`, { headers: { authorization: 'Bearer test-viewer-token' } });
      const m = samples(await res.text());
      const ended = (outcome: string) => m.get(`cellshift_update_duration_seconds_count{strategy="maintenance-window",outcome="${outcome}"}`) ?? 0;
      return ended('succeeded') >= 1 && ended(failed) >= 1 ? true : undefined;
    });

    const res = await fetch(`${h.baseUrl}/metrics`, { headers: { authorization: 'Bearer test-viewer-token' } });
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    const m = samples(text);
    expect(text).toContain('# TYPE cellshift_update_duration_seconds histogram');
    expect(m.get('cellshift_cells{ring="dedicated",version="1.2.0",state="ready",sla="in-sla",agent="direct"}')).toBe(1);
    expect(m.get('cellshift_cells{ring="dedicated",version="1.1.0",state="ready",sla="in-sla",agent="direct"}')).toBe(2);
    expect(m.get('cellshift_updates_started_total{strategy="maintenance-window"}')).toBe(2);
    expect(m.get('cellshift_updates_finished_total{strategy="maintenance-window",outcome="succeeded"}')).toBe(1);
    expect(m.get(`cellshift_updates_finished_total{strategy="maintenance-window",outcome="${failed}"}`)).toBe(1);
    const labels = 'strategy="maintenance-window",outcome="succeeded"';
    expect(m.get(`cellshift_update_duration_seconds_bucket{${labels},le="+Inf"}`)).toBe(1);
    expect(m.get(`cellshift_update_duration_seconds_bucket{${labels},le="60"}`)).toBe(1); // a simulated update takes seconds
    expect(m.get(`cellshift_update_duration_seconds_sum{${labels}}`)).toBeGreaterThan(0);
    expect(m.get('cellshift_rollouts_in_flight')).toBe(0);
    expect(m.get('cellshift_debug_access_active')).toBe(0);
  });

  it("the worker serves the SDK's own metrics where it is told", { timeout: 60_000 }, async () => {
    const port = await freePort();
    const worker = h.spawnWorkerProcess({ CELLSHIFT_WORKER_METRICS_ADDRESS: `127.0.0.1:${port}` });
    try {
      const text = await h.waitFor('the worker metrics endpoint', async () => {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
        const body = res?.ok ? await res.text() : '';
        return body.includes('temporal_') ? body : undefined;
      }, 45_000);
      expect(text).toMatch(/^temporal_\w+/m);
    } finally {
      await h.kill(worker);
    }
  });
});
