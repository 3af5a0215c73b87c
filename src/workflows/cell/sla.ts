import { ParentClosePolicy, startChild, upsertSearchAttributes } from '@temporalio/workflow';
import { ErrorType } from '../../domain/errors';
import { DAY_MS, slaStatus, type SlaStatus } from '../../domain/infra';
import { refuse } from '../failures';
import { infraWorkflowId } from '../ids';
import { infraUpdate } from '../infra/infra-update';
import type { InfraStatusReport, InfraUpdateRequest } from '../messages';
import { SlaStatusKey } from '../search-attributes';
import { now } from '../update/progress';
import type { Cell } from './cell';

const SEVERITY: readonly SlaStatus[] = ['in-sla', 'at-risk', 'out-of-sla'];

export function requirePublishable(cell: Cell, request: InfraUpdateRequest): void {
  const { spec, status } = cell;
  if (!spec.stack) refuse(ErrorType.InvalidState, `cell ${spec.id} has no AWS stack (stack) to update`);
  if ((status.infraUpdates ?? []).some((u) => u.templateVersion === request.templateVersion)) {
    refuse(ErrorType.InvalidState, `infrastructure update ${request.templateVersion} is already pending on cell ${spec.id}`);
  }
}

/** Starts the infrastructure update's own workflow (deadline, reminders, apply) and tracks its SLA on the cell. */
export async function publishInfra(cell: Cell, request: InfraUpdateRequest): Promise<{ workflowId: string; deadline: string }> {
  const { spec, status } = cell;
  const workflowId = infraWorkflowId(spec.id, request.templateVersion);
  const publishedAt = request.publishedAt ?? now();
  const deadline = new Date(Date.parse(publishedAt) + request.deadlineDays * DAY_MS).toISOString();
  const entry = { templateVersion: request.templateVersion, deadline, sla: slaStatus(Date.now(), Date.parse(deadline)), workflowId };
  status.infraUpdates = [...(status.infraUpdates ?? []), entry];
  try {
    await startChild(infraUpdate, {
      workflowId,
      args: [
        {
          ...request,
          publishedAt,
          cellId: spec.id,
          stack: spec.stack!,
          ...(spec.connection === 'agent' ? { connection: spec.connection, agentWaitSeconds: spec.agentWaitSeconds } : {}),
          mayApply: spec.infraApply ?? false,
        },
      ],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  } catch (err) {
    status.infraUpdates = status.infraUpdates.filter((u) => u !== entry);
    throw err;
  }
  updateSla(cell);
  return { workflowId, deadline };
}

/** An infrastructure update reports its SLA, or that it was applied. */
export function infraStatusChanged(cell: Cell, report: InfraStatusReport): void {
  const { status } = cell;
  const entries = status.infraUpdates ?? [];
  const entry = entries.find((u) => u.templateVersion === report.templateVersion);
  if (!entry) return;
  if (report.done) status.infraUpdates = entries.filter((u) => u !== entry);
  else entry.sla = report.sla;
  updateSla(cell);
  cell.wake = true;
}

/** The cell's SLA is the worst of its pending infrastructure updates'; out of SLA holds app updates (Cell.requireNotHeld). */
function updateSla(cell: Cell): void {
  const { status } = cell;
  const worst = (status.infraUpdates ?? []).reduce<SlaStatus>((w, u) => (SEVERITY.indexOf(u.sla) > SEVERITY.indexOf(w) ? u.sla : w), 'in-sla');
  if (worst === (status.sla ?? 'in-sla')) return;
  status.sla = worst;
  upsertSearchAttributes([{ key: SlaStatusKey, value: worst }]);
}
