import type { AgentPresence } from '../../domain/agent';
import type { CellView } from '../../domain/cell';
import { sql } from 'kysely';
import { maintenanceEvents, slaEvents } from '../../domain/events';
import type { UpdateProgress } from '../../domain/update';
import type { Db } from './database';
import { WebhookStore } from './webhooks';

export interface CellRow {
  id: string;
  ring: string;
  state: string;
  version: string | null;
  desiredVersion: string | null;
  sla: string;
  connection: string;
  currentUpdate: string | null;
  /** an agent cell's agent as the presence sweep last saw it (never-seen until it has looked) */
  agent?: Pick<AgentPresence, 'status' | 'lastSeen' | 'version'>;
}

export interface CellFilter {
  ring?: string;
  state?: string;
  version?: string;
  sla?: string;
  connection?: string;
  agent?: AgentPresence['status'];
}

/**
 * The read model of cells: each cell's view as its controller last wrote it, with the columns
 * lists filter on. Writes carry the controller's revision, so a late or repeated write never
 * replaces a newer one (idempotent, in order). Temporal stays the source of truth: `rebuild`
 * (scripts/rebuild-read-model.ts) writes it again from the controllers.
 */
export class CellReadModel {
  constructor(private readonly db: Db) {}

  async write(view: CellView, revision: number): Promise<void> {
    const row = {
      ring: view.spec.ring,
      state: view.state,
      version: view.version ?? null,
      desired_version: view.desiredVersion ?? null,
      sla: view.sla ?? 'in-sla',
      connection: view.spec.connection ?? 'direct',
      current_update: view.currentUpdate?.id ?? null,
      view: JSON.stringify(view),
      revision,
      updated_at: new Date().toISOString(),
    };
    await this.db
      .insertInto('cells')
      .values({ id: view.spec.id, ...row })
      .onConflict((c) => c.column('id').doUpdateSet(row).where('cells.revision', '<', String(revision)))
      .execute();
    // A controller's write with the SLA at risk or out queues its event (once per infrastructure
    // update), one with the cell left in maintenance its own (once per time it is found so).
    if (revision > 0) await WebhookStore.enqueue(this.db, [...slaEvents(view), ...maintenanceEvents(view)]);
  }

  /** The cell's view, and whether its controller wrote it (revision 1 on) or only the API or a rebuild did (0). */
  async get(id: string): Promise<{ view: CellView; fromWorkflow: boolean } | undefined> {
    const row = await this.db.selectFrom('cells').select(['view', 'revision']).where('id', '=', id).executeTakeFirst();
    return row && { view: row.view, fromWorkflow: Number(row.revision) > 0 };
  }

  /** One page of cells in id order, after `after`; one more row than asked tells whether a next page exists. */
  async list(filter: CellFilter, pageSize: number, after?: string): Promise<{ cells: CellRow[]; more: boolean }> {
    let query = this.db
      .selectFrom('cells')
      .select(['id', 'ring', 'state', 'version', 'desired_version', 'sla', 'connection', 'current_update', 'agent_status', 'agent_seen_at', 'agent_version'])
      .orderBy('id')
      .limit(pageSize + 1);
    if (after !== undefined) query = query.where('id', '>', after);
    if (filter.ring) query = query.where('ring', '=', filter.ring);
    if (filter.state) query = query.where('state', '=', filter.state);
    if (filter.version) query = query.where('version', '=', filter.version);
    if (filter.sla) query = query.where('sla', '=', filter.sla);
    if (filter.connection) query = query.where('connection', '=', filter.connection);
    if (filter.agent === 'never-seen') query = query.where('connection', '=', 'agent').where((w) => w.or([w('agent_status', 'is', null), w('agent_status', '=', 'never-seen')]));
    else if (filter.agent) query = query.where('agent_status', '=', filter.agent);
    const rows = await query.execute();
    const cells = rows.slice(0, pageSize).map((r) => ({
      id: r.id,
      ring: r.ring,
      state: r.state,
      version: r.version,
      desiredVersion: r.desired_version,
      sla: r.sla,
      connection: r.connection,
      currentUpdate: r.current_update,
      ...(r.connection === 'agent'
        ? { agent: { status: (r.agent_status ?? 'never-seen') as AgentPresence['status'], lastSeen: r.agent_seen_at ? new Date(r.agent_seen_at).toISOString() : null, version: r.agent_version } }
        : {}),
    }));
    return { cells, more: rows.length > pageSize };
  }

  /** Agent cells' ids in id order, a page at a time after `after`: what the presence sweep looks at. */
  async agentCells(limit: number, after = ''): Promise<{ id: string; registered: boolean }[]> {
    return this.db
      .selectFrom('cells')
      .select(['id', sql<boolean>`(view -> 'agent') is not null`.as('registered')])
      .where('connection', '=', 'agent')
      .where('id', '>', after)
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /** What the presence sweep saw of a cell's agent; the controller's own writes leave it alone. */
  async recordPresence(id: string, presence: AgentPresence): Promise<void> {
    await this.db
      .updateTable('cells')
      .set({ agent_status: presence.status, agent_seen_at: presence.lastSeen, agent_version: presence.version })
      .where('id', '=', id)
      .execute();
  }

  /** Every cell of the rings, in id order, with its agent's last seen status: what a rollout's plan reads. */
  async ringViews(rings: string[]): Promise<{ view: CellView; agentStatus: string | null }[]> {
    if (rings.length === 0) return [];
    const rows = await this.db.selectFrom('cells').select(['view', 'agent_status']).where('ring', 'in', rings).orderBy('id').execute();
    return rows.map((r) => ({ view: r.view, agentStatus: r.agent_status }));
  }

  /** How many cells there are of each ring, version, state, SLA and agent status (`direct` for a cell without an agent): for /metrics. */
  async counts(): Promise<{ ring: string; version: string; state: string; sla: string; agent: string; count: number }[]> {
    const rows = await this.db
      .selectFrom('cells')
      .select([
        'ring',
        sql<string>`coalesce(version, 'none')`.as('version'),
        'state',
        'sla',
        sql<string>`case when connection = 'agent' then coalesce(agent_status, 'never-seen') else 'direct' end`.as('agent'),
        sql<string>`count(*)`.as('count'),
      ])
      .groupBy(['ring', 'version', 'state', 'sla', sql`5`])
      .execute();
    return rows.map((r) => ({ ...r, count: Number(r.count) }));
  }

  /** The cells in maintenance mode with no update running, as their controllers found them: for /metrics. */
  async leftInMaintenance(): Promise<{ id: string; ring: string; since: string }[]> {
    const rows = await this.db
      .selectFrom('cells')
      .select(['id', 'ring', sql<string>`view->'maintenance'->'leftOn'->>'since'`.as('since')])
      .where(sql<boolean>`view->'maintenance'->>'enabled' = 'true' and view->'maintenance'->'leftOn' is not null and view->'currentUpdate' is null`)
      .orderBy('id')
      .execute();
    return rows;
  }

  /** The update number a cell registered under this id starts from: past every update of the cells removed before it (their ids are taken). */
  async firstUpdateNumber(cellId: string): Promise<number> {
    const row = await this.db.selectFrom('removed_cells').select(sql<number | null>`max(next_update)`.as('next')).where('cell_id', '=', cellId).executeTakeFirst();
    return row?.next ?? 1;
  }

  /** The removals of cells with this id, oldest first: kept when a removed cell left the read model. */
  async removals(cellId: string): Promise<{ removedAt: string; removedBy: string; reason?: string; view: CellView; updates: UpdateProgress[] }[]> {
    const rows = await this.db.selectFrom('removed_cells').selectAll().where('cell_id', '=', cellId).orderBy('removed_at').execute();
    return rows.map((r) => ({ removedAt: new Date(r.removed_at).toISOString(), removedBy: r.removed_by, ...(r.reason ? { reason: r.reason } : {}), view: r.view, updates: r.updates }));
  }
}
