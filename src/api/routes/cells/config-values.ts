// Who may set which of a cell's configuration items, and to what: the one check both the cell's
// registration and PUT /v1/cells/:id/config make, before anything is stored.
import type { CellSpec } from '../../../domain/cell';
import { visibleReleases } from '../../../domain/channels';
import { declaredItems, valueProblem, type ConfigValue } from '../../../domain/config';
import type { CatalogRelease } from '../../../domain/release';
import { compareVersions } from '../../../domain/version';
import type { Role } from '../../plugins/app/auth';
import { badRequest, HttpProblem } from '../../http/problem';

/**
 * Refuses values for items no release the cell may run (or runs) declares (400), for stack items
 * (400: read from the stack), of the wrong type (400), or that the caller may not set (403: an
 * operator sets operator items, the cell's customer customer items).
 */
export function requireSettable(releases: CatalogRelease[], cell: { spec: Pick<CellSpec, 'id' | 'ring' | 'airGapped'>; version?: string }, values: Record<string, ConfigValue | null>, role: Role, subject: string, field = 'body.values'): void {
  const mayRun = visibleReleases(releases, cell.spec);
  const runs = releases.find((r) => r.version === cell.version);
  const declared = declaredItems(runs && !mayRun.includes(runs) ? [...mayRun, runs] : mayRun, compareVersions);
  const errors: { field: string; reason: string }[] = [];
  const refusals: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    const at = `${field}.${name}`;
    const found = declared.get(name);
    if (!found) {
      errors.push({ field: at, reason: `no release cell ${cell.spec.id} may run declares an item ${name}` });
      continue;
    }
    const { item, version } = found;
    if (item.setBy === 'stack') {
      errors.push({ field: at, reason: `${name} is read from the cell's stack output ${item.output} (release ${version}): nobody sets it` });
      continue;
    }
    if (item.setBy !== (role === 'customer' ? 'customer' : 'operator')) refusals.push(`${name} is set by the ${item.setBy === 'customer' ? "cell's customer" : 'operator'} (release ${version})`);
    if (value !== null) {
      const wrong = valueProblem(item, value);
      if (wrong) errors.push({ field: at, reason: wrong });
    }
  }
  if (errors.length > 0) throw badRequest(errors);
  if (refusals.length > 0) throw new HttpProblem(403, 'Forbidden', `the token of ${subject} (${role}) may not set these: ${refusals.join('; ')}`);
}
