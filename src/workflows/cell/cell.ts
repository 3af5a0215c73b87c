import type { ClusterTarget } from '../../domain/ports';
import { condition, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { Mutex } from 'async-mutex';
import { DEFAULT_CHECK_INTERVAL_SECONDS, type CellConfigStatus, type CellSpec, type CellStatus, type CellView, type VersionHistoryEntry } from '../../domain/cell';
import { visibleReleases } from '../../domain/channels';
import { ErrorType } from '../../domain/errors';
import type { CatalogRelease } from '../../domain/release';
import { refuse } from '../failures';
import { updateId } from '../ids';
import { AppVersionKey, CellIdKey, CellStatusKey, RingKey } from '../search-attributes';
import type { AwaitedUpdate } from '../update/end';

export interface CellControllerInput {
  spec: CellSpec;
  /** carried over continue-as-new; absent on registration */
  status?: CellStatus;
  /** on registration: the revision of the values it was registered with (and whether the installation it adopts runs them) */
  config?: CellConfigStatus;
  nextUpdate?: number;
  /** the last revision written to the read model (revisions only grow, across runs too) */
  revision?: number;
  /** continue-as-new after this many history events (tests set it low); Temporal's suggestion otherwise */
  maxHistoryEvents?: number;
}

const HISTORY_KEPT = 100;
const DEFAULT_MAX_HISTORY_EVENTS = 10_000;

/**
 * One cell as its controller holds it: the spec and status carried across continue-as-new (plain
 * JSON), what this run has to do next, and the rules every request is checked against.
 */
export class Cell {
  readonly spec: CellSpec;
  readonly status: CellStatus;
  private nextUpdate: number;
  private revision: number;
  private readonly maxHistoryEvents: number;

  // This run only.
  /** the main loop has something to do */
  wake = false;
  /** an operator asked for the update and drift checks now */
  checkRequested = false;
  /** the flags on the cluster may be out of date: pushed after registration, an update, or a rule change */
  flagsStale = true;
  /** whether the release of the running hop declares flags (unknown: assume it does) */
  hopDeclaresFlags?: boolean;
  /** the catalog as a request just read it: the reconcile right after plans from it instead of reading it again */
  releases?: CatalogRelease[];
  /** an update ended: what the cluster runs, and whether it is in maintenance, is read back */
  readBackDue = false;
  /** the running update whose result this run awaits */
  awaited?: AwaitedUpdate;
  /**
   * Whatever changes the cell (a request, a signal, an ended update, a tick of the check timer) is
   * work the main loop takes one at a time, in the order it was asked: what the controller commands
   * then depends on the order of events, never on how many of them one activation carried. Runs
   * from before patch 'controller-work-in-order' took handlers under a lock instead, and signals at once.
   */
  inOrder = false;
  private readonly queue: { work: () => Promise<unknown>; done: (value: unknown) => void; failed: (err: unknown) => void }[] = [];
  private readonly lock = new Mutex();

  constructor(readonly input: CellControllerInput) {
    this.spec = input.spec;
    // An agent cell registers once its agent has exchanged its bootstrap token (the API tells the controller).
    this.status = input.status ?? { state: input.spec.connection === 'agent' ? 'awaiting-agent' : 'registering', maintenance: { enabled: false }, history: [], ...(input.config ? { config: input.config } : {}) };
    this.nextUpdate = input.nextUpdate ?? 1;
    this.revision = input.revision ?? 0;
    this.maxHistoryEvents = input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS;
  }

  /** Runs `work` with the cell to itself: queued for the main loop (runs from before: under the lock). */
  exclusive<T>(work: () => T | Promise<T>): Promise<T> {
    if (!this.inOrder) return this.lock.runExclusive(work);
    return new Promise<T>((done, failed) => this.queue.push({ work: async () => work(), done: done as (value: unknown) => void, failed }));
  }

  /** A change told by a signal, an update's end or a timer: queued as work (runs from before: made at once). */
  tell(change: () => void): void {
    if (this.inOrder) void this.exclusive(change);
    else change();
  }

  /** An update's change that awaits nothing: queued as work (runs from before: made at once). */
  change<T>(work: () => T): T | Promise<T> {
    return this.inOrder ? this.exclusive(work) : work();
  }

  /** Work is queued for the main loop. */
  get pending(): boolean {
    return this.queue.length > 0;
  }

  /** Runs the oldest queued work: its caller gets the result, or the failure. */
  async runNext(): Promise<void> {
    const job = this.queue.shift();
    if (!job) return;
    try {
      job.done(await job.work());
    } catch (err) {
      job.failed(err);
    }
  }

  /** Waits until `ready`, taking queued work meanwhile (runs from before: waits). */
  async until(ready: () => boolean): Promise<void> {
    if (!this.inOrder) return condition(ready);
    while (!ready()) {
      await condition(() => ready() || this.pending);
      if (!ready()) await this.runNext();
    }
  }

  /** What the next run starts from. */
  carry(): CellControllerInput {
    return {
      spec: this.spec,
      status: this.status,
      nextUpdate: this.nextUpdate,
      ...(this.revision > 0 ? { revision: this.revision } : {}),
      maxHistoryEvents: this.input.maxHistoryEvents,
    };
  }

  view(): CellView {
    return { spec: this.spec, ...this.status };
  }

  /** The cell's cluster as activities reach it: directly, or through the cell's agent. */
  get target(): ClusterTarget {
    const { spec } = this;
    return { cellId: spec.id, cluster: spec.cluster, ...(spec.connection ? { connection: spec.connection } : {}) };
  }

  /** The next update id of this cell (ids are never reused, across runs too). */
  takeUpdateId(): string {
    return updateId(this.spec.id, this.nextUpdate++);
  }

  /** The revision of the next write to the read model. */
  nextRevision(): number {
    return ++this.revision;
  }

  /**
   * Time to continue as new: Temporal suggests it (or the test limit is reached), and no update
   * runs, so the run that started an update is the one that hears its end, as the child's result
   * (runs from before 'controller-work-in-order' continued as new anyway, and handed the end over).
   */
  continueAsNewDue(): boolean {
    if (this.inOrder && this.status.currentUpdate) return false;
    return workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= this.maxHistoryEvents;
  }

  checkIntervalMs(): number {
    return (this.spec.checkIntervalSeconds ?? DEFAULT_CHECK_INTERVAL_SECONDS) * 1000;
  }

  /** The releases this cell may plan with: all of them, or for an air-gapped cell only what arrived in bundles. */
  usable(releases: CatalogRelease[]): CatalogRelease[] {
    return this.spec.airGapped ? visibleReleases(releases, { ring: this.spec.ring, airGapped: true }) : releases;
  }

  /** The cell's search attributes: listable and filterable in the Web UI and the API. */
  publish(): void {
    upsertSearchAttributes([
      { key: CellIdKey, value: this.spec.id },
      { key: RingKey, value: this.spec.ring },
      { key: CellStatusKey, value: this.status.state },
      { key: AppVersionKey, value: this.status.version ?? 'none' },
    ]);
  }

  record(entry: VersionHistoryEntry): void {
    const history = this.status.history;
    history.push(entry);
    if (history.length > HISTORY_KEPT) history.splice(0, history.length - HISTORY_KEPT);
  }

  /** Refuses unless the cell is registered, not drifted, and runs no update. */
  requireIdle(): void {
    const { status, spec } = this;
    if (status.state === 'awaiting-agent' || status.state === 'registering' || status.state === 'registration-failed') refuse(ErrorType.CellNotReady, `cell ${spec.id} is ${status.state}`);
    if (status.state === 'drifted') {
      refuse(ErrorType.CellNotReady, `cell ${spec.id} has drifted (recorded ${status.drift?.recorded ?? 'nothing'}, cluster runs ${status.drift?.actual ?? 'nothing'}): reconcile or accept the drift first`);
    }
    if (status.currentUpdate) {
      refuse(ErrorType.UpdateInProgress, `update ${status.currentUpdate.id} to ${status.currentUpdate.toVersion} is running on cell ${spec.id}`, { updateId: status.currentUpdate.id });
    }
  }

  /** App updates wait while an infrastructure update is overdue. */
  requireNotHeld(): void {
    if (this.status.sla !== 'out-of-sla') return;
    const overdue = (this.status.infraUpdates ?? []).filter((u) => u.sla === 'out-of-sla').map((u) => `${u.templateVersion} (due ${u.deadline})`);
    refuse(ErrorType.UpdatesHeld, `cell ${this.spec.id} is out of its support SLA: infrastructure update ${overdue.join(', ')} is overdue; app updates are held until it is applied`, {
      infraUpdates: overdue,
    });
  }
}
