import { join } from 'node:path';
import { withRule, type FlagRule } from '../../domain/flags';
import { JsonStore } from '../json-store';

/** Flag rules, one document per flag under `<dataDir>/flags`. */
export class FlagStore {
  private readonly store: JsonStore<FlagRule[]>;

  constructor(dataDir: string) {
    this.store = new JsonStore<FlagRule[]>(join(dataDir, 'flags'));
  }

  /** Every flag's rules; the files are read again only after a rule changed. */
  async all(): Promise<Record<string, FlagRule[]>> {
    return Object.fromEntries(await this.store.all());
  }

  async set(flag: string, rules: FlagRule[]): Promise<FlagRule[]> {
    return this.store.update(flag, (current) => {
      let next = current ?? [];
      for (const rule of rules) next = withRule(next, rule);
      return { value: next, result: next };
    });
  }
}
