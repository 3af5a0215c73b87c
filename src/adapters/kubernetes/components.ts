// Which workloads run a release's components. A release that names only images is applied over
// manifests someone else rendered (a vendor's YAML, a Helm chart) with their own names and labels,
// so each component's workloads are found by the first of these rules that finds any:
//   1. the selector the release declares for the component (`workloadSelectors`), matched against
//      the workload's labels;
//   2. the Deployment or StatefulSet named exactly as the component;
//   3. the label `app.kubernetes.io/name=<component>` (Helm charts, the recommended labels);
//   4. the label `app=<component>` (plain upstream YAML).
// Within a workload, the component's container is the one named after it, else the only one.
import type { Release } from '../../domain/release';
import { COMPONENT_LABEL, componentContainer, workloadName, type Workload } from './workloads';

type ComponentRelease = Pick<Release, 'components' | 'workloadSelectors'>;

/** The rule that found a component's workloads, for messages. */
export type FoundBy = 'selector' | 'name' | typeof COMPONENT_LABEL | 'app';

const matches = (labels: Record<string, string> | undefined, selector: Record<string, string>) => Object.entries(selector).every(([key, value]) => labels?.[key] === value);

/** The workloads running `component`, and the rule that found them (none found: an empty list). */
export function componentWorkloads(release: ComponentRelease, component: string, workloads: Workload[]): { workloads: Workload[]; by?: FoundBy } {
  const declared = release.workloadSelectors?.[component];
  // A declared selector is the publisher's word: it alone decides, even when it finds nothing.
  if (declared) return { workloads: workloads.filter((w) => matches(w.metadata.labels, declared)), by: 'selector' };
  const rules: [FoundBy, (w: Workload) => boolean][] = [
    ['name', (w) => w.metadata.name === component],
    [COMPONENT_LABEL, (w) => w.metadata.labels?.[COMPONENT_LABEL] === component],
    ['app', (w) => w.metadata.labels?.app === component],
  ];
  for (const [by, test] of rules) {
    const found = workloads.filter(test);
    if (found.length > 0) return { workloads: found, by };
  }
  return { workloads: [] };
}

/** Every workload that runs one of the release's components. */
export function releaseComponentWorkloads(release: ComponentRelease, workloads: Workload[]): Workload[] {
  const found = new Set(Object.keys(release.components).flatMap((component) => componentWorkloads(release, component, workloads).workloads));
  return workloads.filter((w) => found.has(w));
}

/**
 * Why an image-only release cannot be applied over these workloads, one reason per component
 * (empty when it can): a component no rule finds, or a workload whose container for it is not
 * clear (several containers, none named after the component).
 */
export function unplacedComponents(release: ComponentRelease, workloads: Workload[]): string[] {
  return Object.keys(release.components).flatMap((component) => {
    const { workloads: found, by } = componentWorkloads(release, component, workloads);
    if (found.length === 0) {
      return [
        by === 'selector'
          ? `component ${component}: no Deployment or StatefulSet matches the release's selector ${JSON.stringify(release.workloadSelectors![component])}`
          : `component ${component}: no Deployment or StatefulSet named ${component} or labelled ${COMPONENT_LABEL}=${component} or app=${component}`,
      ];
    }
    return found.filter((w) => !componentContainer(w, component)).map((w) => `component ${component}: ${workloadName(w)} has several containers and none is named ${component}`);
  });
}
