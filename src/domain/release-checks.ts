// What a release must be beyond its JSON Schema, checked wherever one is published (the API, a
// bundle's manifest): selectors for components it has, no Secret data, a configuration declared
// consistently, and manifests referring only to items it declares.
import { declarationProblems, findReferences, referenceProblems, type ConfigProblem } from './config';
import type { Release } from './release';
import { ruleProblem } from './support-bundle/redact';

/** Every problem of the release at once, each naming its field under `root` (`body`, `manifest`). */
export function releaseProblems(release: Release, root: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const component of Object.keys(release.workloadSelectors ?? {})) {
    if (!Object.hasOwn(release.components, component)) problems.push({ field: `${root}.workloadSelectors.${component}`, reason: `${component} is not a component of the release` });
  }
  // Secrets carry no data through cellshift: a release names the Secrets it needs, the cell holds them.
  (release.manifests ?? []).forEach((m, i) => {
    if (m.kind === 'Secret' && (m.data !== undefined || m.stringData !== undefined)) {
      problems.push({ field: `${root}.manifests.${i}`, reason: `Secret ${m.metadata.name} carries data: a release carries no secret values; declare a secret config item and refer to the Secret the cell holds` });
    }
  });
  // The release's own support-bundle redactions: regular expressions that compile and match something.
  (release.supportBundle?.redactions ?? []).forEach((rule, i) => {
    const problem = ruleProblem(rule);
    if (problem) problems.push({ field: `${root}.supportBundle.redactions.${i}.${problem.split(':')[0]}`, reason: problem });
  });
  const items = release.config ?? [];
  problems.push(...declarationProblems(items, `${root}.config`));
  const { references, problems: malformed } = findReferences(release.manifests ?? [], `${root}.manifests`);
  problems.push(...malformed, ...referenceProblems(items, references));
  return problems;
}
