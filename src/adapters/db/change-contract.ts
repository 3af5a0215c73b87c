import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { CellSpec } from '../../domain/cell';
import type { Blackout, BlackoutScope, ChangeKind, ContractFacts } from '../../domain/contract';
import { noticeEvent } from '../../domain/events';
import type { Ring } from '../../domain/release';
import { WebhookStore } from './webhooks';
import type { Db } from './database';
import type { ContractBlackoutsTable, ContractNoticesTable, ContractPostponementsTable } from './tables';

export interface Postponement {
  id: string;
  cellId: string;
  until: string;
  reason: string;
  setBy: string;
  setAt: string;
}

/** The notice a cell was given of an update to a version: when, for when at the earliest, and why. */
export interface Notice {
  cellId: string;
  version: string;
  givenAt: string;
  startsAt?: string;
  why: string;
}

/**
 * The customer's change contract as cellshift records it: blackouts (a cell's, and fleet-wide
 * freezes), postponements, and each notice given. Written by the API (people) and the activities
 * that give notice; read by the plan, the rollout and each update's wait. Removed rows stay, with
 * who removed them.
 */
export class ChangeContracts {
  constructor(
    private readonly db: Db,
    /** days of notice each ring's cells are owed when their contract does not say (CELLSHIFT_NOTICE_DAYS) */
    private readonly noticeDaysByRing: Partial<Record<Ring, number>> = {},
  ) {}

  /** The days of notice the cell is owed. */
  noticeDays(spec: Pick<CellSpec, 'ring' | 'contract'>): number {
    return spec.contract?.noticeDays ?? this.noticeDaysByRing[spec.ring] ?? 0;
  }

  /** What the contract says of a change of the cell now: its blackouts, notice owed and given, postponement. */
  async facts(spec: Pick<CellSpec, 'id' | 'ring' | 'contract'>, change: ChangeKind, now = new Date()): Promise<ContractFacts> {
    const [blackouts, postponement, notice] = await Promise.all([this.blackouts(spec.id, now), this.postponement(spec.id, now), this.notice(spec.id, change.version)]);
    return {
      blackouts: blackouts.map(({ setByRole: _, ...b }) => b),
      noticeMs: this.noticeDays(spec) * 86_400_000,
      ...(notice ? { noticeGivenAt: Date.parse(notice.givenAt) } : {}),
      ...(postponement ? { postponedUntil: Date.parse(postponement.until) } : {}),
      ...(spec.contract?.approval ? { approval: spec.contract.approval } : {}),
      change,
    };
  }

  /** The blackouts a cell's updates meet from `from` on: its own and the fleet's freezes (`cellId` null: only the freezes). */
  async blackouts(cellId: string | null, from = new Date()): Promise<(Blackout & { setByRole: string })[]> {
    let query = this.db.selectFrom('contract_blackouts').selectAll().where('removed_at', 'is', null).where('ends_at', '>', from);
    query = cellId === null ? query.where('cell_id', 'is', null) : query.where((e) => e.or([e('cell_id', 'is', null), e('cell_id', '=', cellId)]));
    return (await query.orderBy('starts_at').execute()).map(toBlackout);
  }

  async blackout(id: string): Promise<(Blackout & { setByRole: string; removedBy?: string }) | undefined> {
    const row = await this.db.selectFrom('contract_blackouts').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? { ...toBlackout(row), ...(row.removed_by ? { removedBy: row.removed_by } : {}) } : undefined;
  }

  /** The blackouts a cell's customer set that overlap [from, to): what counts against the customer's allowance. */
  async customerBlackouts(cellId: string, from: Date, to: Date): Promise<Blackout[]> {
    const rows = await this.db
      .selectFrom('contract_blackouts')
      .selectAll()
      .where('cell_id', '=', cellId)
      .where('set_by_role', '=', 'customer')
      .where('removed_at', 'is', null)
      .where('starts_at', '<', to)
      .where('ends_at', '>', from)
      .execute();
    return rows.map(toBlackout);
  }

  async addBlackout(blackout: { cellId?: string; startsAt: string; endsAt: string; scope: BlackoutScope; reason: string; setBy: string; setByRole: string }): Promise<Blackout & { setByRole: string }> {
    const row = await this.db
      .insertInto('contract_blackouts')
      .values({
        id: randomUUID(),
        cell_id: blackout.cellId ?? null,
        starts_at: new Date(blackout.startsAt).toISOString(),
        ends_at: new Date(blackout.endsAt).toISOString(),
        scope: blackout.scope,
        reason: blackout.reason,
        set_by: blackout.setBy,
        set_by_role: blackout.setByRole,
        set_at: new Date().toISOString(),
        removed_by: null,
        removed_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toBlackout(row);
  }

  async removeBlackout(id: string, by: string): Promise<void> {
    await this.db.updateTable('contract_blackouts').set({ removed_by: by, removed_at: new Date().toISOString() }).where('id', '=', id).where('removed_at', 'is', null).execute();
  }

  /** The cell's postponement in force (the latest that has not passed), if any. */
  async postponement(cellId: string, now = new Date()): Promise<Postponement | undefined> {
    const row = await this.db
      .selectFrom('contract_postponements')
      .selectAll()
      .where('cell_id', '=', cellId)
      .where('removed_at', 'is', null)
      .where('until', '>', now)
      .orderBy('set_at', 'desc')
      .executeTakeFirst();
    return row ? toPostponement(row) : undefined;
  }

  async postpone(cellId: string, until: string, reason: string, by: string): Promise<Postponement> {
    const row = await this.db
      .insertInto('contract_postponements')
      .values({ id: randomUUID(), cell_id: cellId, until: new Date(until).toISOString(), reason, set_by: by, set_at: new Date().toISOString(), removed_by: null, removed_at: null })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toPostponement(row);
  }

  /** Every postponement of the cell, newest first: who, when, why. */
  async postponements(cellId: string): Promise<(Postponement & { removedBy?: string })[]> {
    const rows = await this.db.selectFrom('contract_postponements').selectAll().where('cell_id', '=', cellId).orderBy('set_at', 'desc').execute();
    return rows.map((row) => ({ ...toPostponement(row), ...(row.removed_by ? { removedBy: row.removed_by } : {}) }));
  }

  /** The notice given to the cell of an update to `version`, if one was. */
  async notice(cellId: string, version: string): Promise<Notice | undefined> {
    const row = await this.db.selectFrom('contract_notices').selectAll().where('cell_id', '=', cellId).where('version', '=', version).executeTakeFirst();
    return row ? toNotice(row) : undefined;
  }

  /**
   * Records once what an emergency release's update of the cell overrode (a blackout, a
   * postponement, the notice owed, its window), and tells webhook subscribers.
   */
  async recordOverride(cellId: string, version: string, overrode: string[], at = new Date()): Promise<void> {
    const inserted = await this.db
      .insertInto('contract_overrides')
      .values({ cell_id: cellId, version, at: at.toISOString(), overrode: JSON.stringify(overrode) })
      .onConflict((c) => c.columns(['cell_id', 'version']).doNothing())
      .returning('cell_id')
      .executeTakeFirst();
    if (!inserted) return;
    await WebhookStore.enqueue(this.db, [
      { id: `update.emergency-override/${cellId}/${version}`, type: 'update.emergency-override', at: at.toISOString(), cellId, text: `🚨 ${cellId}: emergency release ${version} overrides ${overrode.join('; ')}`, data: { version, overrode } },
    ]);
  }

  /** What emergency releases overrode in the cell, newest first. */
  async overrides(cellId: string): Promise<{ version: string; at: string; overrode: string[] }[]> {
    const rows = await this.db.selectFrom('contract_overrides').selectAll().where('cell_id', '=', cellId).orderBy('at', 'desc').execute();
    return rows.map((r) => ({ version: r.version, at: r.at.toISOString(), overrode: r.overrode as string[] }));
  }

  /** Tells webhook subscribers of a release an admin marked an emergency. */
  async emergencyMarked(version: string, emergency: { by: string; at: string; reason: string }): Promise<void> {
    await WebhookStore.enqueue(this.db, [{ id: `release.emergency/${version}`, type: 'release.emergency', at: emergency.at, text: `🚨 release ${version} is an emergency release (${emergency.by}: ${emergency.reason}): it overrides cells' windows, postponements and blackouts but those of scope all`, data: { version, ...emergency } }]);
  }

  /** The cell's notices, newest first. */
  async notices(cellId: string): Promise<Notice[]> {
    return (await this.db.selectFrom('contract_notices').selectAll().where('cell_id', '=', cellId).orderBy('given_at', 'desc').execute()).map(toNotice);
  }

  /**
   * Gives notice once per cell and version, and tells webhook subscribers (`update.scheduled`): the
   * first notice stands (given again, the one already given is returned, `given: false`).
   */
  async giveNotice(notice: Notice): Promise<{ notice: Notice; given: boolean }> {
    const inserted = await this.db
      .insertInto('contract_notices')
      .values({ cell_id: notice.cellId, version: notice.version, given_at: notice.givenAt, starts_at: notice.startsAt ?? null, why: notice.why })
      .onConflict((c) => c.columns(['cell_id', 'version']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) {
      const given = toNotice(inserted);
      await WebhookStore.enqueue(this.db, [noticeEvent(given)]);
      return { notice: given, given: true };
    }
    return { notice: (await this.notice(notice.cellId, notice.version))!, given: false };
  }
}

function toBlackout(row: Selectable<ContractBlackoutsTable>): Blackout & { setByRole: string } {
  return {
    id: row.id,
    ...(row.cell_id ? { cellId: row.cell_id } : {}),
    startsAt: row.starts_at.toISOString(),
    endsAt: row.ends_at.toISOString(),
    scope: row.scope as BlackoutScope,
    reason: row.reason,
    setBy: row.set_by,
    setByRole: row.set_by_role,
  };
}

function toPostponement(row: Selectable<ContractPostponementsTable>): Postponement {
  return { id: row.id, cellId: row.cell_id, until: row.until.toISOString(), reason: row.reason, setBy: row.set_by, setAt: row.set_at.toISOString() };
}

function toNotice(row: Selectable<ContractNoticesTable>): Notice {
  return { cellId: row.cell_id, version: row.version, givenAt: row.given_at.toISOString(), ...(row.starts_at ? { startsAt: row.starts_at.toISOString() } : {}), why: row.why };
}
