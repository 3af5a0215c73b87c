import { CellContract } from '../../domain/schemas/contract';
import { Type, type Static } from 'typebox';
import { CONFIG_ITEM_NAME } from '../../domain/config';
import { RINGS } from '../../domain/release';
import { ConfigValue } from './config';
import { STRATEGIES } from '../../domain/update';
import { CellSpec, ClusterRef, LiveOverrides, MaintenanceWindow, StagingFirstOverrides } from '../../domain/schemas/cell';
import { CellId, NullableString, StringEnum, Version } from '../../domain/schemas/common';

const AgentStatus = StringEnum(['online', 'offline', 'never-seen'] as const, { description: "an agent cell's agent: polling its queue now, not for longer than the offline threshold, or never" });

export const RegisterCellBody = Type.Object(
  {
    ...CellSpec.properties,
    strategy: Type.Optional(CellSpec.properties.strategy),
    expectedUpdateMinutes: Type.Optional(CellSpec.properties.expectedUpdateMinutes),
    config: Type.Optional(
      Type.Record(Type.String({ pattern: CONFIG_ITEM_NAME }), ConfigValue, {
        minProperties: 1,
        maxProperties: 500,
        description: "the cell's values of operator items, its first configuration revision: what the installation it adopts runs, or what its first install renders",
      }),
    ),
  },
  { additionalProperties: false },
);
export type RegisterCellBody = Static<typeof RegisterCellBody>;

const HistoryEntry = Type.Object({
  version: Type.String(),
  fromVersion: Type.Optional(Type.String()),
  at: Type.String(),
  updateId: Type.Optional(Type.String()),
  strategy: Type.Optional(Type.String()),
  result: Type.String(),
});

export const Cell = Type.Object({
  id: Type.String(),
  ring: Type.String(),
  strategy: Type.String(),
  maintenanceWindow: MaintenanceWindow,
  cluster: ClusterRef,
  connection: Type.String(),
  agentWaitSeconds: Type.Optional(Type.Integer()),
  agent: Type.Optional(
    Type.Object(
      {
        status: AgentStatus,
        lastSeen: NullableString(),
        version: NullableString(),
        identity: NullableString(),
        registeredAt: Type.Optional(Type.String({ description: 'when the agent exchanged its bootstrap token' })),
        kubernetesVersion: Type.Optional(Type.String()),
        capabilities: Type.Optional(Type.Array(Type.String())),
      },
      { description: "an agent cell: whether its agent polls the cell's queue (from the server's pollers)" },
    ),
  ),
  stagingCellId: Type.Optional(Type.String()),
  expectedUpdateMinutes: Type.Integer(),
  stagingFirst: Type.Optional(StagingFirstOverrides),
  live: Type.Optional(LiveOverrides),
  airGapped: Type.Boolean(),
  autoUpdate: Type.Boolean(),
  checkIntervalSeconds: Type.Integer(),
  state: Type.String(),
  version: NullableString(),
  desiredVersion: NullableString(),
  plan: Type.Optional(Type.Array(Type.String())),
  reconcileError: Type.Optional(Type.String()),
  drift: Type.Optional(Type.Object({ recorded: Type.Optional(Type.String()), actual: Type.Optional(Type.String()), detectedAt: Type.String() })),
  lastCheck: Type.Optional(Type.Object({ at: Type.String(), newest: Type.Optional(Type.String()), error: Type.Optional(Type.String({ description: 'why the last check for updates failed' })) })),
  flags: Type.Record(Type.String(), Type.Object({ enabled: Type.Boolean(), source: Type.String() })),
  stack: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  infraApply: Type.Boolean(),
  contract: Type.Optional(CellContract),
  sla: Type.String(),
  infraUpdates: Type.Array(Type.Object({ templateVersion: Type.String(), deadline: Type.String(), sla: Type.String(), workflowId: Type.String() })),
  removal: Type.Optional(
    Type.Object(
      { by: Type.String(), at: Type.String({ format: 'date-time' }), reason: Type.Optional(Type.String()), cancelledUpdate: Type.Optional(Type.String({ description: 'the update that ran, cancelled first' })) },
      { description: 'the cell is being removed (state removing): who asked, when, why' },
    ),
  ),
  maintenance: Type.Object({
    enabled: Type.Boolean(),
    leftOn: Type.Optional(
      Type.Object(
        { since: Type.String({ format: 'date-time' }), reason: Type.String() },
        { description: 'maintenance mode on with no update running, as the controller found it on the cluster: since when, and how it was found' },
      ),
    ),
  }),
  currentUpdate: Type.Optional(Type.Object({ id: Type.String(), toVersion: Type.String(), strategy: Type.String() })),
  config: Type.Optional(
    Type.Object(
      {
        desired: Type.Integer({ description: 'the newest revision of its values (GET /v1/cells/:id/config)' }),
        applied: Type.Optional(Type.Integer({ description: 'the revision its objects were last rendered with' })),
        window: Type.Optional(Type.Literal('now')),
        failed: Type.Optional(Type.Object({ revision: Type.Integer(), reason: Type.String() }, { description: 'a change that did not succeed: not tried again until another revision is set' })),
      },
      { description: "the revisions of the cell's configuration values; a newer desired one is applied as a configuration change" },
    ),
  ),
  history: Type.Array(HistoryEntry),
  error: Type.Optional(Type.String()),
});

export const CellSummary = Type.Object({
  id: Type.String(),
  ring: Type.String(),
  state: Type.String(),
  version: NullableString(),
  desiredVersion: NullableString(),
  sla: Type.String(),
  connection: Type.String(),
  currentUpdate: NullableString({ description: 'the id of the running update' }),
  agent: Type.Optional(
    Type.Object(
      { status: AgentStatus, lastSeen: NullableString(), version: NullableString() },
      { description: "an agent cell: its agent as the presence sweep last saw it polling the cell's queue (GET /v1/cells/:id asks the server now)" },
    ),
  ),
});

export const CellList = Type.Object({
  cells: Type.Array(CellSummary),
  nextPageToken: Type.Optional(Type.String()),
});

export const CellListQuery = Type.Object(
  {
    ring: Type.Optional(StringEnum(RINGS)),
    status: Type.Optional(Type.String({ pattern: '^[a-z-]+$', description: 'the cell state: ready, updating, installing, drifted, …' })),
    state: Type.Optional(Type.String({ pattern: '^[a-z-]+$', description: 'same as status' })),
    version: Type.Optional(Version),
    sla: Type.Optional(StringEnum(['in-sla', 'at-risk', 'out-of-sla'] as const)),
    connection: Type.Optional(StringEnum(['direct', 'agent'] as const)),
    agent: Type.Optional(AgentStatus),
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    pageToken: Type.Optional(Type.String({ maxLength: 4000, description: 'the nextPageToken of the previous page' })),
  },
  { additionalProperties: false },
);

export const CellParams = Type.Object({ cellId: CellId });

export const RemoveCellQuery = Type.Object(
  {
    cancelUpdate: Type.Optional(Type.Boolean({ description: 'cancel the update that runs (it compensates) instead of refusing the removal' })),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'why, kept with the removal' })),
  },
  { additionalProperties: false },
);

export const CellRemovals = Type.Object({
  removals: Type.Array(
    Type.Object({
      cellId: Type.String(),
      removedAt: Type.String({ format: 'date-time' }),
      removedBy: Type.String(),
      reason: Type.Optional(Type.String()),
      cell: Cell,
      updates: Type.Array(Type.Unknown({ description: "an update's progress as GET /v1/updates/:id showed it" })),
    }),
  ),
});

export const RequestUpdateBody = Type.Object(
  {
    version: Version,
    strategy: Type.Optional(StringEnum(STRATEGIES)),
    window: Type.Optional(StringEnum(['next', 'now'] as const)),
    stagingFirst: Type.Optional(StagingFirstOverrides),
    live: Type.Optional(LiveOverrides),
  },
  { additionalProperties: false },
);

export const RollbackBody = Type.Union([Type.Object({ toVersion: Type.Optional(Version) }, { additionalProperties: false }), Type.Null()]);

export const UpdateAccepted = Type.Object({
  id: Type.String(),
  cellId: Type.String(),
  status: Type.String(),
  strategy: Type.String(),
  fromVersion: NullableString(),
  toVersion: Type.String(),
});

export const DesiredVersionBody = Type.Object({ version: Version }, { additionalProperties: false });
export const DesiredVersionAccepted = Type.Object({ desiredVersion: Type.String(), plan: Type.Array(Type.String()) });
export const PlanQuery = Type.Object({ to: Version }, { additionalProperties: false });
export const Plan = Type.Object({
  from: NullableString(),
  to: Type.String(),
  plan: Type.Array(Type.String()),
  held: Type.Optional(Type.Object({ reason: Type.String() }, { description: 'the cell would be held: before the first hop that needs configuration it lacks, or a target ahead of the line its contract lags on' })),
  schedule: Type.Optional(
    Type.Object(
      {
        startsAt: Type.Optional(Type.String({ description: "the first moment its change contract lets the first hop start (window, blackouts, notice, postponement)" })),
        waits: Type.Optional(Type.Array(Type.Object({ rule: Type.String(), reason: Type.String(), until: Type.Optional(Type.String()) }))),
        held: Type.Optional(Type.String({ description: 'why the contract holds it until something changes' })),
      },
      { description: "when the cell's change contract lets it start (src/domain/contract.ts)" },
    ),
  ),
});
export const CellSettingsBody = Type.Object(
  {
    autoUpdate: Type.Optional(Type.Boolean()),
    checkIntervalSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 24 * 3600 })),
    contract: Type.Optional(CellContract),
  },
  { additionalProperties: false, minProperties: 1 },
);
export const DriftParams = Type.Object({ cellId: CellId, action: StringEnum(['reconcile', 'accept'] as const) });
export const CheckAccepted = Type.Object({ id: Type.String() });
