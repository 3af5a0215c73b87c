import type { Finding } from '../../domain/support-bundle/analyze';
import { bundleId, DEFAULT_SUPPORT_BUNDLE_POLICY, type BundleManifest, type BundleStatus, type BundleTrigger, type SupportBundlePolicy, type SupportBundleRecord } from '../../domain/support-bundle/bundle';
import type { Selectable } from 'kysely';
import type { Db } from './database';
import type { SupportBundlesTable } from './tables';

/**
 * Support bundles' records: one row per collection, numbered per cell, written by the workflow
 * that asks for consent and collects (its activities), read by the API. The bytes are elsewhere
 * (support-bundle-blobs.ts); a deleted bundle keeps its record.
 */
export class SupportBundles {
  constructor(private readonly db: Db) {}

  /** A new request, numbered after the cell's others (a number taken meanwhile: the next). */
  async request(cellId: string, request: { workflowId: string; trigger: BundleTrigger; requestedBy: string; reason?: string; updateId?: string }): Promise<SupportBundleRecord> {
    for (let tries = 0; ; tries++) {
      const last = await this.db.selectFrom('support_bundles').select((e) => e.fn.max('n').as('n')).where('cell_id', '=', cellId).executeTakeFirst();
      const n = Number(last?.n ?? 0) + 1;
      const row = {
        id: bundleId(cellId, n),
        cell_id: cellId,
        n,
        workflow_id: request.workflowId,
        status: 'waiting-consent',
        trigger: request.trigger,
        requested_by: request.requestedBy,
        reason: request.reason ?? null,
        update_id: request.updateId ?? null,
        requested_at: new Date().toISOString(),
        error: null,
        digest: null,
      };
      const inserted = await this.db.insertInto('support_bundles').values(row).onConflict((c) => c.doNothing()).returningAll().executeTakeFirst();
      if (inserted) return toRecord(inserted);
      if (tries > 5) throw new Error(`could not number a support bundle of ${cellId}`);
    }
  }

  /** The bundle a workflow opened, if it did (a retried activity finds it). */
  async forWorkflow(workflowId: string): Promise<SupportBundleRecord | undefined> {
    const row = await this.db.selectFrom('support_bundles').selectAll().where('workflow_id', '=', workflowId).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /** The bundle asked for when an update failed, if one was. */
  async ofUpdate(updateId: string): Promise<SupportBundleRecord | undefined> {
    const row = await this.db.selectFrom('support_bundles').selectAll().where('update_id', '=', updateId).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async setStatus(id: string, status: BundleStatus, error?: string): Promise<void> {
    await this.db.updateTable('support_bundles').set({ status, error: error ?? null }).where('id', '=', id).execute();
  }

  async collected(id: string, result: { bytes: number; digest: string; findings: Finding[]; manifest: BundleManifest; expiresAt: string }): Promise<void> {
    await this.db
      .updateTable('support_bundles')
      .set({
        status: 'collected',
        collected_at: result.manifest.collectedAt,
        expires_at: result.expiresAt,
        bytes: result.bytes,
        digest: result.digest,
        findings: JSON.stringify(result.findings),
        manifest: JSON.stringify(result.manifest),
        error: null,
      })
      .where('id', '=', id)
      .execute();
  }

  async get(id: string): Promise<SupportBundleRecord | undefined> {
    const row = await this.db.selectFrom('support_bundles').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /** The cell's bundles, newest first. */
  async list(cellId: string): Promise<SupportBundleRecord[]> {
    const rows = await this.db.selectFrom('support_bundles').selectAll().where('cell_id', '=', cellId).orderBy('n', 'desc').execute();
    return rows.map(toRecord);
  }

  /** Collected bundles whose retention has ended. */
  async expired(now: Date): Promise<SupportBundleRecord[]> {
    const rows = await this.db.selectFrom('support_bundles').selectAll().where('status', '=', 'collected').where('expires_at', '<=', now).execute();
    return rows.map(toRecord);
  }

  async policy(cellId: string): Promise<SupportBundlePolicy & { setBy?: string; setAt?: string }> {
    const row = await this.db.selectFrom('support_bundle_policies').selectAll().where('cell_id', '=', cellId).executeTakeFirst();
    return row ? { ...DEFAULT_SUPPORT_BUNDLE_POLICY, ...(row.policy as Partial<SupportBundlePolicy>), setBy: row.set_by, setAt: row.set_at.toISOString() } : { ...DEFAULT_SUPPORT_BUNDLE_POLICY };
  }

  async setPolicy(cellId: string, policy: SupportBundlePolicy, by: string): Promise<void> {
    const at = new Date().toISOString();
    const json = JSON.stringify(policy);
    await this.db
      .insertInto('support_bundle_policies')
      .values({ cell_id: cellId, policy: json, set_by: by, set_at: at })
      .onConflict((c) => c.column('cell_id').doUpdateSet({ policy: json, set_by: by, set_at: at }))
      .execute();
  }
}

function toRecord(r: Selectable<SupportBundlesTable>): SupportBundleRecord {
  const date = (v: Date | string | null) => (v instanceof Date ? v.toISOString() : (v ?? undefined));
  return {
    id: r.id,
    cellId: r.cell_id,
    n: Number(r.n),
    workflowId: r.workflow_id,
    status: r.status as BundleStatus,
    trigger: r.trigger as BundleTrigger,
    requestedBy: r.requested_by,
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.update_id ? { updateId: r.update_id } : {}),
    requestedAt: date(r.requested_at)!,
    ...(r.collected_at ? { collectedAt: date(r.collected_at) } : {}),
    ...(r.expires_at ? { expiresAt: date(r.expires_at) } : {}),
    ...(r.bytes !== null && r.bytes !== undefined ? { bytes: Number(r.bytes) } : {}),
    ...(r.digest ? { digest: r.digest } : {}),
    ...(r.findings ? { findings: r.findings as Finding[] } : {}),
    ...(r.manifest ? { manifest: r.manifest as BundleManifest } : {}),
    ...(r.error ? { error: r.error } : {}),
  };
}
