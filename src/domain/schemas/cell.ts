// A cell's spec and its parts, in TypeBox: the API validates requests with these schemas, and the
// domain's types are derived from them (Static<>), so each shape is written once. Workflow code
// imports the types only (ESLint refuses a value import).
import { CellContract } from './contract';
import { Type, type Static } from 'typebox';
import { RINGS } from '../release';
import { STRATEGIES } from '../update';
import { WEEKDAYS, timeZones } from '../window';
import { CellId, StringEnum, TemplateVersion, Version } from './common';

export const MaintenanceWindow = Type.Object(
  {
    days: Type.Array(StringEnum(WEEKDAYS), { minItems: 1, maxItems: 7, uniqueItems: true }),
    start: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d)?$', description: 'local time HH:MM or HH:MM:SS' }),
    durationMinutes: Type.Integer({ minimum: 1, maximum: 7 * 24 * 60 }),
    timezone: StringEnum(timeZones(), { description: 'an IANA time zone name (Europe/Berlin, Asia/Kolkata, UTC): aliases, abbreviations and offsets are not taken' }),
  },
  { additionalProperties: false },
);
export type MaintenanceWindow = Static<typeof MaintenanceWindow>;

/** A cluster simulated on disk; `initialVersion` is what it runs when first registered. */
export const SimulatedClusterRef = Type.Object({ kind: Type.Literal('simulated'), initialVersion: Type.Optional(Version) }, { additionalProperties: false });
export type SimulatedClusterRef = Static<typeof SimulatedClusterRef>;

/** A real Kubernetes cluster, the product installed in one namespace of it. */
export const KubernetesClusterRef = Type.Object(
  {
    kind: Type.Literal('kubernetes'),
    kubeconfig: Type.Optional(
      Type.Union(
        [
          Type.Object({ path: Type.String({ minLength: 1, pattern: '^/', description: 'an absolute path the worker can read' }) }, { additionalProperties: false }),
          Type.Object(
            { secretRef: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'names env CELLSHIFT_KUBECONFIG_<REF> of the worker, which holds the kubeconfig; never the kubeconfig itself' }) },
            { additionalProperties: false },
          ),
        ],
        { description: "how the control plane's workers reach the cluster; none for a cell reached through its agent, which uses its own credentials (its ServiceAccount in the cluster, or the kubeconfig it was started with)" },
      ),
    ),
    context: Type.Optional(Type.String({ minLength: 1, maxLength: 253, description: "the kubeconfig's context to use (its current context otherwise)" })),
    namespace: Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$', description: 'the namespace of the installation' }),
    clusterObjects: Type.Optional(
      StringEnum(['allow', 'refuse'] as const, {
        description:
          "whether releases may create objects of the cluster's own (CRDs, ClusterRoles and bindings, webhooks, other Namespaces): the cell's owner decides, and its agent's RBAC must allow them (docs/kubernetes.md ships both); default refuse: the installation's namespace only",
      }),
    ),
  },
  { additionalProperties: false },
);
export type KubernetesClusterRef = Static<typeof KubernetesClusterRef>;

/** How activities reach a cell's cluster. A reference only: credentials are resolved inside activities. */
export const ClusterRef = Type.Union([SimulatedClusterRef, KubernetesClusterRef]);
export type ClusterRef = Static<typeof ClusterRef>;

/** How activities reach a cell's AWS stack. A reference only: credentials are resolved inside activities. */
export const StackRef = Type.Union([
  Type.Object({ kind: Type.Literal('simulated'), templateVersion: Type.Optional(TemplateVersion) }, { additionalProperties: false }),
  Type.Object(
    {
      kind: Type.Literal('aws'),
      region: Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-\\d$' }),
      stackName: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9-]{0,127}$' }),
      endpoint: Type.Optional(Type.String({ pattern: '^https?://\\S+$', description: 'a non-default endpoint (a local test server, a VPC endpoint)' })),
      credentialsRef: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'names env CELLSHIFT_AWS_<REF>_ACCESS_KEY_ID/_SECRET_ACCESS_KEY (the default chain when absent); never the keys' })),
    },
    { additionalProperties: false },
  ),
]);
export type StackRef = Static<typeof StackRef>;

const Ratio = Type.Number({ minimum: 0, maximum: 1 });

/** What a cell or a request may set of the staging-first strategy's tunables (the rest: the defaults). */
export const StagingFirstOverrides = Type.Object(
  {
    soakSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 24 * 3600, description: 'how long the staging cell runs the new release under health checks before a decision' })),
    healthCheckIntervalSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 3600 })),
    decisionTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 90 * 24 * 3600, description: 'without a decision by then, the update is rejected' })),
    autoPromote: Type.Optional(Type.Boolean({ description: 'promote to the primary after a healthy soak without waiting for an operator' })),
    maxErrorRate: Type.Optional(Ratio),
    minReadyRatio: Type.Optional(Ratio),
  },
  { additionalProperties: false },
);
export type StagingFirstOverrides = Static<typeof StagingFirstOverrides>;

const Analysis = Type.Object(
  {
    checks: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'health checks per batch' })),
    intervalSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
    maxErrorRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'highest error rate (0..1) a check may report' })),
    minReadyRatio: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'lowest share of ready replicas (0..1) a check may report' })),
  },
  { additionalProperties: false },
);

/** What a cell or a request may set of the live strategy's tunables (the rest: the defaults). */
export const LiveOverrides = Type.Object(
  {
    batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'components applied together before an analysis' })),
    analysis: Type.Optional(Analysis),
  },
  { additionalProperties: false },
);
export type LiveOverrides = Static<typeof LiveOverrides>;
export type AnalysisOptions = Required<Static<typeof Analysis>>;

export const CellSpec = Type.Object(
  {
    id: CellId,
    ring: StringEnum(RINGS),
    strategy: StringEnum(STRATEGIES),
    maintenanceWindow: MaintenanceWindow,
    cluster: ClusterRef,
    connection: Type.Optional(
      StringEnum(['direct', 'agent'] as const, {
        description: "direct (default): cellshift's workers reach the cluster with the kubeconfig named here; agent: the cell's agent runs every step inside the cell, polling task queue cell/<id>",
      }),
    ),
    agentWaitSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 24 * 3600, description: 'an agent cell: how long a step waits for the agent to take it before the agent counts as unreachable (default 600)' })),
    stagingCellId: Type.Optional(CellId),
    expectedUpdateMinutes: Type.Integer({ minimum: 1, maximum: 24 * 60, description: 'how long an update is expected to take: a window with less left is skipped (the cut-off)' }),
    stagingFirst: Type.Optional(StagingFirstOverrides),
    live: Type.Optional(LiveOverrides),
    airGapped: Type.Optional(Type.Boolean({ description: 'sees only releases uploaded as bundles: it cannot pull from the registry' })),
    autoUpdate: Type.Optional(Type.Boolean({ description: 'the update check sets the newest release allowed for the ring as desired' })),
    checkIntervalSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 24 * 3600, description: 'how often the controller checks for updates and for drift' })),
    stack: Type.Optional(StackRef),
    infraApply: Type.Optional(Type.Boolean({ description: 'cellshift may execute infrastructure change sets itself (otherwise the customer runs them)' })),
    contract: Type.Optional(CellContract),
  },
  { additionalProperties: false },
);
export type CellSpec = Static<typeof CellSpec>;
