import { createHash, randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { failsOn, meetFault, type Faults, type FaultStep } from '../../domain/faults';
import { ErrorType, PortError } from '../../domain/errors';
import type { AppliedConfig, ClusterPort, ClusterTarget, RenderedRelease, StepContext } from '../../domain/ports';
import type { HealthReport } from '../../domain/health';
import type { Release } from '../../domain/release';
import type { DebugGrant } from '../../domain/debug-access';
import type { PodEvidence } from '../../domain/support-bundle/analyze';
import type { CellEvidence } from '../../domain/support-bundle/collect';
import { JsonStore } from './json-store';
import { SIM_LOG_LIMIT, SIM_NODES, type SimCell, type SimEvent } from './sim-cell';

/**
 * A cluster that exists only as a file per cell under `<dataDir>/sim/cells`, with latency and
 * faults injectable per step. The embedded default for demos, benchmarks and failure tests.
 */
export class SimulatedCluster implements ClusterPort {
  readonly store: JsonStore<SimCell>;

  constructor(dataDir: string) {
    this.store = new JsonStore<SimCell>(join(dataDir, 'sim', 'cells'));
  }

  async register(target: ClusterTarget, ctx: StepContext, initial?: Release): Promise<{ version?: string }> {
    return this.store.update(target.cellId, (cell) => {
      if (cell) return { result: { version: cell.version } };
      const created: SimCell = {
        cellId: target.cellId,
        version: initial?.version,
        components: { ...(initial?.components ?? {}) },
        stableComponents: { ...(initial?.components ?? {}) },
        maintenance: false,
        nodes: Object.fromEntries(SIM_NODES.map((n) => [n, Object.values(initial?.components ?? {})])),
        rollout: initial ? 'complete' : 'idle',
        applied: {},
        faults: {},
        faultCalls: {},
        log: [event('register', { version: initial?.version })],
      };
      return { value: created, result: { version: created.version } };
    });
  }

  async preflight(target: ClusterTarget, release: RenderedRelease, ctx: StepContext): Promise<void> {
    await wait(await this.enter(target, 'preflight', ctx), ctx);
    const held = new Set((await this.read(target.cellId)).secrets ?? []);
    const absent = (release.rendered?.secrets ?? []).filter((s) => !held.has(s.name));
    if (absent.length > 0) throw new PortError(ErrorType.PreflightFailed, `${target.cellId}: the configuration refers to Secrets the cell does not hold: ${absent.map((s) => `${s.name} (item ${s.item})`).join(', ')}; create them in the cell first`, true);
  }

  async setMaintenance(target: ClusterTarget, enabled: boolean, ctx: StepContext): Promise<void> {
    const latency = await this.enter(target, enabled ? 'maintenanceOn' : 'maintenanceOff', ctx);
    await this.change(target, (cell) => {
      if (cell.maintenance === enabled) return;
      cell.maintenance = enabled;
      log(cell, event(enabled ? 'maintenance-on' : 'maintenance-off', {}));
    });
    await wait(latency, ctx);
  }

  async pullImages(target: ClusterTarget, images: string[], ctx: StepContext): Promise<void> {
    const latency = await this.enter(target, 'pull', ctx);
    // An air-gapped cell pulls from bundle archives (on the shared volume, or by presigned URL from
    // the object store): one that is missing cannot be pulled.
    for (const image of images.filter((i) => i.startsWith('file:'))) {
      if (!(await stat(fileURLToPath(image)).then((s) => s.isFile(), () => false))) {
        throw new PortError(ErrorType.ImagePullFailed, `image archive ${fileURLToPath(image)} is missing from the bundle store`, true);
      }
    }
    for (const image of images.filter((i) => /^https?:/.test(i))) {
      // A presigned URL signs a GET: read its first byte only.
      const res = await fetch(image, { headers: { range: 'bytes=0-0' } }).catch((err: Error) => ({ ok: false, status: err.message }));
      if (!res.ok) throw new PortError(ErrorType.ImagePullFailed, `image archive ${withoutQuery(image)} could not be read: ${res.status}`, true);
    }
    // What the nodes keep is the image, not the signature of the URL it came by.
    images = images.map(withoutQuery);
    // Every node pulls at once (one write of the cell); a retry skips the nodes an earlier attempt reported.
    const done = new Set<string>((ctx.resumeFrom as { nodes?: string[] } | undefined)?.nodes ?? []);
    await this.change(target, (cell) => {
      for (const node of SIM_NODES.filter((n) => !done.has(n))) {
        const cached = new Set(cell.nodes[node] ?? []);
        const missing = images.filter((i) => !cached.has(i));
        if (missing.length === 0) continue;
        cell.nodes[node] = [...cached, ...missing].sort();
        log(cell, event('pull', { node }));
      }
    });
    ctx.heartbeat({ nodes: [...SIM_NODES] });
    await wait(latency, ctx);
  }

  async apply(target: ClusterTarget, release: RenderedRelease, key: string, ctx: StepContext, components?: string[]): Promise<void> {
    const latency = await this.enter(target, 'apply', ctx);
    await this.change(target, (cell) => {
      if (cell.applied[key]) return; // this apply already happened: once only
      cell.applied[key] = { previousVersion: cell.version, previousComponents: cell.components, ...(cell.config ? { previousConfig: cell.config } : {}), rolledBack: false };
      if (release.rendered && !components) cell.config = { revision: release.rendered.revision, digest: release.rendered.digest };
      const names = components ?? Object.keys(release.components);
      const next = components ? { ...cell.components } : {};
      for (const name of names) next[name] = release.components[name];
      cell.components = next;
      // The cell runs the release once every one of its components does.
      const complete = Object.entries(release.components).every(([name, image]) => next[name] === image);
      if (complete) cell.version = release.version;
      cell.rollout = 'progressing';
      log(cell, event('apply', { version: release.version, updateId: key, components: components ? names : undefined }));
    });
    await wait(latency, ctx);
  }

  async checkHealth(target: ClusterTarget, ctx: StepContext): Promise<HealthReport> {
    const cell = await this.read(target.cellId);
    const desired = Object.keys(cell.components).length * 2;
    const healthy: HealthReport = { errorRate: 0.001, readyReplicas: desired, desiredReplicas: desired, problems: [] };
    let latency: number;
    try {
      latency = await this.enter(target, 'health', ctx);
    } catch (err) {
      if (!(err instanceof PortError) || err.type !== ErrorType.SimulatedFault) throw err;
      const fault = cell.faults.health!;
      const bad = fault.components
        ? fault.components.filter((name) => cell.components[name] !== undefined && cell.components[name] !== cell.stableComponents[name])
        : Object.keys(cell.components);
      if (bad.length === 0) return healthy;
      return {
        errorRate: 0.4,
        readyReplicas: desired - bad.length * 2,
        desiredReplicas: desired,
        problems: bad.map((name) => `pod ${name}-0: CrashLoopBackOff (image ${cell.components[name]})`),
      };
    }
    await wait(latency, ctx);
    return healthy;
  }

  async rollback(target: ClusterTarget, updateId: string, ctx: StepContext): Promise<void> {
    const latency = await this.enter(target, 'rollback', ctx);
    await this.change(target, (cell) => {
      const applied = cell.applied[updateId];
      if (!applied || applied.rolledBack) return;
      applied.rolledBack = true;
      cell.components = applied.previousComponents;
      cell.version = applied.previousVersion;
      if (applied.previousConfig) cell.config = applied.previousConfig;
      else delete cell.config;
      cell.rollout = 'complete';
      cell.stableComponents = { ...cell.components };
      log(cell, event('rollback', { version: applied.previousVersion, updateId }));
    });
    await wait(latency, ctx);
  }

  async verify(target: ClusterTarget, release: Release, ctx: StepContext): Promise<void> {
    await wait(await this.enter(target, 'verify', ctx), ctx);
    await this.change(target, (cell) => {
      if (cell.version !== release.version) {
        throw new PortError(ErrorType.VerifyFailed, `cluster runs ${cell.version ?? 'nothing'}, expected ${release.version}`);
      }
      cell.rollout = 'complete';
      cell.stableComponents = { ...cell.components };
    });
  }

  async setFlags(target: ClusterTarget, flags: Record<string, boolean>): Promise<void> {
    await this.change(target, (cell) => {
      cell.flags = { ...flags };
    });
  }

  async actualVersion(target: ClusterTarget): Promise<string | undefined> {
    return (await this.read(target.cellId)).version;
  }

  async actualConfig(target: ClusterTarget): Promise<AppliedConfig | undefined> {
    return (await this.read(target.cellId)).config;
  }

  /** Creates a Secret in the cell (its customer's: only its name is kept). */
  async createSecret(cellId: string, name: string): Promise<boolean> {
    return this.store.update(cellId, (cell) => {
      if (!cell) return { result: false };
      return { value: { ...cell, secrets: [...new Set([...(cell.secrets ?? []), name])].sort() }, result: true };
    });
  }

  async inMaintenance(target: ClusterTarget): Promise<boolean> {
    return (await this.read(target.cellId)).maintenance;
  }

  async grantDebugAccess(target: ClusterTarget, grant: DebugGrant): Promise<{ token: string }> {
    const token = `sim-debug-${grant.n}-${randomBytes(24).toString('base64url')}`;
    await this.change(target, (cell) => {
      (cell.debugGrants ??= {})[grant.n] = { namespace: grant.scope.namespace, role: grant.scope.role, expiresAt: grant.expiresAt, tokenSha256: sha256(token) };
      log(cell, event('debug-grant', { grant: grant.n }));
    });
    return { token };
  }

  async revokeDebugAccess(target: ClusterTarget, n: number): Promise<void> {
    await this.change(target, (cell) => {
      if (!cell.debugGrants?.[n]) return;
      delete cell.debugGrants[n];
      log(cell, event('debug-revoke', { grant: n }));
    });
  }

  async sweepExpiredDebugAccess(target: ClusterTarget): Promise<number[]> {
    const expired = Object.entries((await this.read(target.cellId)).debugGrants ?? {}).filter(([, g]) => Date.parse(g.expiresAt) <= Date.now());
    for (const [n] of expired) await this.revokeDebugAccess(target, Number(n));
    return expired.map(([n]) => Number(n));
  }

  /**
   * A simulated cell's evidence: a pod per component (crash-looping where a health fault makes it
   * unhealthy), its nodes, and log lines from what happened to the cell.
   */
  async collectEvidence(target: ClusterTarget, options: { logLines: number }, ctx: StepContext): Promise<CellEvidence> {
    // A slow read (a latency fault) heartbeats all along, so only a dead collector is noticed.
    const latency = await this.enter(target, 'collect', ctx);
    if (latency > 0) await sleep(latency, undefined, { signal: ctx.signal });
    const cell = await this.read(target.cellId);
    const fault = cell.faults.health;
    const unhealthy = new Set(
      fault && fault.mode !== 'none'
        ? (fault.components ?? Object.keys(cell.components)).filter((name) => cell.components[name] !== undefined && (!fault.components || cell.components[name] !== cell.stableComponents[name]))
        : [],
    );
    const namespace = target.cellId;
    const pods: PodEvidence[] = Object.entries(cell.components).map(([name, image]) => ({
      metadata: { name: `${name}-0`, namespace },
      spec: { nodeName: SIM_NODES[0] },
      status: unhealthy.has(name)
        ? { phase: 'Running', containerStatuses: [{ name, image, ready: false, restartCount: 6, state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off restarting failed container ${name}` } }, lastState: { terminated: { reason: 'Error', exitCode: 1 } } }] }
        : { phase: 'Running', containerStatuses: [{ name, image, ready: true, restartCount: 0, state: {} }] },
    }));
    const history = cell.log.map((e) => `${e.at} ${e.op}${e.version ? ` ${e.version}` : ''}${e.updateId ? ` (${e.updateId})` : ''}`);
    return {
      cluster: { version: 'simulated', platform: 'cellshift simulated cluster', namespace },
      nodes: SIM_NODES.map((name) => ({ metadata: { name }, status: { conditions: [{ type: 'Ready', status: 'True' }] } })),
      workloads: Object.entries(cell.components).map(([name, image]) => ({ kind: 'Deployment', metadata: { name, namespace }, spec: { template: { spec: { containers: [{ name, image }] } } } })),
      pods,
      events: [...unhealthy].map((name) => ({ type: 'Warning', reason: 'BackOff', message: `Back-off restarting failed container ${name} in pod ${name}-0`, count: 6, involvedObject: { kind: 'Pod', name: `${name}-0`, namespace } })),
      logs: Object.keys(cell.components).map((name) => ({ pod: `${name}-0`, container: name, text: `${[...history, ...(unhealthy.has(name) ? [`${name}: fatal: cannot start with ${cell.components[name]}`] : [`${name}: serving`])].slice(-options.logLines).join('\n')}\n` })),
      certificates: [],
      cellshift: { version: cell.version ?? null, maintenance: cell.maintenance, flags: cell.flags ?? {}, config: cell.config ?? null, applied: Object.keys(cell.applied) },
      secretValues: [],
      errors: [],
    };
  }

  /** What a debug token may do in the cell now, as `kubectl auth can-i` would answer: nothing once its grant is revoked. */
  async debugTokenCan(cellId: string, token: string, namespace: string, verb: 'get' | 'delete'): Promise<boolean> {
    const grant = Object.values((await this.read(cellId)).debugGrants ?? {}).find((g) => g.tokenSha256 === sha256(token));
    return grant !== undefined && grant.namespace === namespace && (verb === 'get' || grant.role === 'edit');
  }

  async read(cellId: string): Promise<SimCell> {
    const cell = await this.store.get(cellId);
    if (!cell) throw new PortError(ErrorType.CellNotFound, `simulated cell ${cellId} does not exist`, true);
    return cell;
  }

  /** Sets the faults of a cell, resetting the fail-times counters. Returns false for an unknown cell. */
  async setFaults(cellId: string, faults: Faults): Promise<boolean> {
    return this.store.update(cellId, (cell) => {
      if (!cell) return { result: false };
      return { value: { ...cell, faults, faultCalls: {} }, result: true };
    });
  }

  /**
   * Fault injection at the start of every step; returns the step's latency, which a step that
   * changes the cluster spends after its change (the change is made, the cluster is slow to
   * confirm it), so a crash in that time finds the change already done.
   */
  private async enter(target: ClusterTarget, step: FaultStep, ctx: StepContext): Promise<number> {
    // Most steps have no fault: a read tells, without the lock that counting a call needs.
    const current = await this.store.get(target.cellId);
    if (current && !current.faults[step]) return 0;
    const { fault, call } = await this.store.update(target.cellId, (cell) => {
      if (!cell) throw new PortError(ErrorType.CellNotFound, `simulated cell ${target.cellId} does not exist`, true);
      const met = meetFault(cell.faults, cell.faultCalls, step);
      return met.calls ? { value: { ...cell, faultCalls: met.calls }, result: met } : { result: met };
    });
    if (!fault) return 0;
    if (failsOn(fault, call)) {
      throw new PortError(ErrorType.SimulatedFault, `injected fault in ${step} (call ${call})`);
    }
    if (fault.mode === 'hang') await hang(ctx);
    return fault.latencyMs ?? 0;
  }

  private async change(target: ClusterTarget, mutate: (cell: SimCell) => void): Promise<void> {
    await this.store.update(target.cellId, (cell) => {
      if (!cell) throw new PortError(ErrorType.CellNotFound, `simulated cell ${target.cellId} does not exist`, true);
      const next = structuredClone(cell);
      mutate(next);
      return { value: next, result: undefined };
    });
  }
}

/** Simulated latency; cancellation ends it. */
async function wait(ms: number, ctx: StepContext): Promise<void> {
  if (ms <= 0) return;
  await sleep(ms, undefined, { signal: ctx.signal });
}

/** A step that never returns and never reports progress, like a stuck API call. */
async function hang(ctx: StepContext): Promise<never> {
  ctx.suspendHeartbeats?.();
  await sleep(2 ** 31 - 1, undefined, { signal: ctx.signal });
  throw new Error('unreachable');
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function event(op: SimEvent['op'], fields: Omit<SimEvent, 'at' | 'op'>): SimEvent {
  return { at: new Date().toISOString(), op, ...fields };
}

function log(cell: SimCell, entry: SimEvent): void {
  cell.log.push(entry);
  if (cell.log.length > SIM_LOG_LIMIT) cell.log.splice(0, cell.log.length - SIM_LOG_LIMIT);
}

/** A URL without its query: a presigned URL's signature is a credential, kept nowhere. */
function withoutQuery(source: string): string {
  return /^https?:/.test(source) ? source.split('?')[0] : source;
}
