// An update or a rollout, printed once or followed live (`--watch`) to its end: a watched one that
// does not succeed exits 1, so a script can act on it.
import type { RolloutProgress } from '../domain/rollout';
import { FINAL_STATUSES, type UpdateProgress } from '../domain/update';
import { EXIT } from './client';
import type { CliContext } from './context';
import { renderRollout, renderUpdate } from './render';
import { watch } from './watch';

/** Where a watched update stops: its end, or a state that needs a person. */
const UPDATE_STOPS = [...FINAL_STATUSES, 'needs-attention'];
const ROLLOUT_STOPS = ['succeeded', 'aborted', 'vetoed', 'halted'];

/** Prints an update (or follows it live); a watched update that ends badly exits 1. */
export async function followUpdate(ctx: CliContext, updateId: string, follow = false, accepted?: unknown): Promise<void> {
  if (!follow && accepted) return ctx.print(accepted, () => `update ${updateId} scheduled (cellshift updates get ${updateId} --watch)`);
  await show(ctx, () => ctx.client().request<UpdateProgress>('GET', `/v1/updates/${ctx.id(updateId)}`), renderUpdate, UPDATE_STOPS, follow);
}

/** Prints a rollout (or follows it live); a watched rollout that does not succeed exits 1. */
export async function followRollout(ctx: CliContext, rolloutId: string, follow = false): Promise<void> {
  await show(ctx, () => ctx.client().request<RolloutProgress>('GET', `/v1/rollouts/${ctx.id(rolloutId)}`), renderRollout, ROLLOUT_STOPS, follow);
}

/** Prints a thing once, or redraws it until its status is one of `stops` (exit 1 unless it succeeded). */
async function show<T extends { status: string }>({ json, print }: CliContext, read: () => Promise<T>, render: (value: T) => string, stops: readonly string[], follow: boolean): Promise<void> {
  if (!follow) {
    const value = await read();
    return print(value, () => render(value));
  }
  const ended = (value: T) => stops.includes(value.status);
  const last = json() ? await pollUntil(read, ended) : await watch({ read, render, ended });
  if (json()) print(last, () => '');
  if (last.status !== 'succeeded') process.exitCode = EXIT.outcome;
}

async function pollUntil<T>(read: () => Promise<T>, ended: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (ended(value)) return value;
    await new Promise((r) => setTimeout(r, 1000));
  }
}
