import { agentHold, type AgentRegistration } from '../../domain/agent';
import { ErrorType } from '../../domain/errors';
import { refuse } from '../failures';
import { checkAgent } from './activities';
import type { Cell } from './cell';

/** Only a cell reached through its agent has one to register. */
export function requireAgentCell(cell: Cell): void {
  if (cell.spec.connection !== 'agent') refuse(ErrorType.InvalidState, `cell ${cell.spec.id} is reached directly: it has no agent`);
}

/**
 * The cell's agent registered (its bootstrap token exchanged through the API): a cell awaiting it
 * registers now, through it; a registered cell notes the agent that replaced its last one.
 */
export function agentArrived(cell: Cell, registration: AgentRegistration) {
  const { status } = cell;
  status.agent = registration;
  if (status.state === 'awaiting-agent') {
    status.state = 'registering';
    cell.publish();
  }
  return cell.view();
}

/**
 * Why the cell's agent cannot take an update now, if it cannot (too old; or, `requireOnline`, not
 * polling); a direct cell has no agent to wait for.
 */
export async function agentHoldReason(cell: Cell, requireOnline: boolean): Promise<string | undefined> {
  if (cell.spec.connection !== 'agent') return undefined;
  const reason = agentHold(await checkAgent(cell.spec.id), cell.status.agent, requireOnline);
  return reason && `cell ${cell.spec.id}: ${reason}`;
}

/** Refuses (UpdatesHeld, nothing started) an update the cell's agent cannot take now. */
export async function requireAgentFit(cell: Cell, requireOnline: boolean): Promise<void> {
  const reason = await agentHoldReason(cell, requireOnline);
  if (reason) refuse(ErrorType.UpdatesHeld, reason);
}
