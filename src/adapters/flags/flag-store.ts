import { withRule, type FlagRule } from '../../domain/flags';
import type { Db } from '../db/database';

/** Flag rules in the database, one row per flag. */
export class FlagStore {
  constructor(private readonly db: Db) {}

  async all(): Promise<Record<string, FlagRule[]>> {
    const rows = await this.db.selectFrom('flag_rules').select(['flag', 'rules']).orderBy('flag').execute();
    return Object.fromEntries(rows.map((r) => [r.flag, r.rules]));
  }

  /** Adds or replaces rules of one flag; concurrent changes of the same flag apply one after the other. */
  set(flag: string, rules: FlagRule[]): Promise<FlagRule[]> {
    return this.db.transaction().execute(async (tx) => {
      await tx.insertInto('flag_rules').values({ flag, rules: '[]' }).onConflict((c) => c.column('flag').doNothing()).execute();
      const current = await tx.selectFrom('flag_rules').select('rules').where('flag', '=', flag).forUpdate().executeTakeFirstOrThrow();
      let next = current.rules;
      for (const rule of rules) next = withRule(next, rule);
      await tx.updateTable('flag_rules').set({ rules: JSON.stringify(next) }).where('flag', '=', flag).execute();
      return next;
    });
  }
}
