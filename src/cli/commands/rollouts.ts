// `cellshift rollouts …`: a release through the fleet's rings in waves, planned, started, followed
// and steered.
import type { Command } from 'commander';
import type { Static } from 'typebox';
import type { RolloutPlan } from '../../api/schemas/rollouts';
import type { CliContext } from '../context';
import { followRollout } from '../follow';

interface RolloutFlags {
  rings?: string;
  maxConcurrent: number;
  maxFailures?: number;
  maxFailurePercent?: number;
  bakeMinutes?: number;
  approvalBetweenRings?: boolean;
  now?: boolean;
  canaryCells?: number;
  canaryPercent?: number;
  canaryBakeMinutes?: number;
  deadline?: string;
  autoVeto?: boolean;
}

export function addRolloutsCommands(program: Command, ctx: CliContext): void {
  const { client, print, id } = ctx;
  const rollouts = program.command('rollouts').description('releases through the fleet');
  const rolloutOptions = (command: Command) =>
    command
      .option('--rings <rings>', 'comma-separated, in order (default all)')
      .requiredOption('--max-concurrent <n>', 'cells in flight at once per ring', Number)
      .option('--max-failures <n>', 'failures that halt it', Number)
      .option('--max-failure-percent <p>', '… or as a share of its cells', Number)
      .option('--bake-minutes <m>', 'between rings', Number)
      .option('--approval-between-rings')
      .option('--now', 'ignore maintenance windows (an urgent fix)')
      .option('--canary-cells <n>', "each ring's first cells, alone", Number)
      .option('--canary-percent <p>', "… or a share of each ring's cells", Number)
      .option('--canary-bake-minutes <m>', 'how long canaries bake', Number)
      .option('--deadline <iso>', 'no cell starts after this')
      .option('--auto-veto', 'over budget, veto the release');
  const rolloutBody = (version: string, o: RolloutFlags) => ({
    version,
    ...(o.rings ? { rings: String(o.rings).split(',') } : {}),
    waves: { maxConcurrent: o.maxConcurrent, ...(o.maxFailures !== undefined ? { maxFailures: o.maxFailures } : {}), ...(o.maxFailurePercent !== undefined ? { maxFailurePercent: o.maxFailurePercent } : {}) },
    ...(o.bakeMinutes !== undefined ? { bakeMinutes: o.bakeMinutes } : {}),
    ...(o.approvalBetweenRings ? { approvalBetweenRings: true } : {}),
    ...(o.now ? { window: 'now' } : {}),
    ...(o.canaryCells !== undefined || o.canaryPercent !== undefined
      ? { canary: { ...(o.canaryCells !== undefined ? { cells: o.canaryCells } : {}), ...(o.canaryPercent !== undefined ? { percent: o.canaryPercent } : {}), bakeMinutes: o.canaryBakeMinutes ?? 0 } }
      : {}),
    ...(o.deadline ? { deadline: o.deadline } : {}),
    ...(o.autoVeto ? { autoVeto: true } : {}),
  });
  rolloutOptions(rollouts.command('plan <version>').description('what a rollout would do, per ring and cell, starting nothing')).action(async (version: string, o: RolloutFlags) => {
    const plan = await client().request<Static<typeof RolloutPlan>>('POST', '/v1/rollouts/plan', rolloutBody(version, o));
    print(plan, () =>
      [
        `plan of ${plan.version}: ends ${plan.endsAt ?? 'never (nothing to do)'}`,
        ...plan.rings.flatMap((ring) => [
          `  ${ring.ring}  ${ring.startsAt ?? '-'} → ${ring.endsAt ?? '-'}`,
          ...ring.cells.map((c) => `    ${c.id.padEnd(24)} ${c.startsAt} → ${c.endsAt}${c.canary ? '  canary' : ''}${c.steppingStones?.length ? `  via ${c.steppingStones.join(' → ')}` : ''}`),
          ...ring.held.map((c) => `    ‖ ${c.id.padEnd(22)} held: ${c.reason}`),
        ]),
      ].join('\n'),
    );
  });
  rolloutOptions(rollouts.command('start <version>').description('take a release through the rings'))
    .option('--watch', 'follow it to its end')
    .action(async (version: string, o: RolloutFlags & { watch?: boolean }) => {
      const started = await client().request<{ id: string }>('POST', '/v1/rollouts', rolloutBody(version, o));
      await followRollout(ctx, started.id, o.watch);
    });
  rollouts
    .command('get <rollout>')
    .option('--watch', 'redraw as it changes, until it ends')
    .action(async (rollout: string, options: { watch?: boolean }) => followRollout(ctx, rollout, options.watch));
  for (const action of ['pause', 'resume', 'abort', 'approve'] as const) {
    const command = rollouts.command(`${action} <rollout>`).option('--reason <reason>');
    if (action === 'abort') command.option('--rollback', 'roll back the cells it updated');
    command.action(async (rollout: string, options: { reason?: string; rollback?: boolean }) => {
      const res = await client().request('POST', `/v1/rollouts/${id(rollout)}/${action}`, { ...(options.reason ? { reason: options.reason } : {}), ...(options.rollback ? { rollback: true } : {}) });
      print(res, () => `${action}: accepted for rollout ${rollout}`);
    });
  }
}
