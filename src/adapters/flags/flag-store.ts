import { join } from 'node:path';
import { withRule, type FlagRule } from '../../domain/flags';
import { JsonStore } from '../json-store';

/** Flag rules, one document per flag under `<dataDir>/flags`. */
export class FlagStore {
  private readonly store: JsonStore<FlagRule[]>;

  constructor(dataDir: string) {
    this.store = new JsonStore<FlagRule[]>(join(dataDir, 'flags'));
  }

  async all(): Promise<Record<string, FlagRule[]>> {
    const flags = await this.store.keys();
    const entries = await Promise.all(flags.map(async (flag) => [flag, (await this.store.get(flag)) ?? []] as const));
    return Object.fromEntries(entries);
  }

  async set(flag: string, rules: FlagRule[]): Promise<FlagRule[]> {
    return this.store.update(flag, (current) => {
      let next = current ?? [];
      for (const rule of rules) next = withRule(next, rule);
      return { value: next, result: next };
    });
  }
}
