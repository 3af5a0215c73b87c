// What applying a release sends to the cluster: its manifests, labelled and annotated, or, for a
// release that names only images, one image patch per component workload.
import type { KubernetesObject } from '@kubernetes/client-node';
import { ErrorType, PortError } from '../../domain/errors';
import type { KubernetesManifest, Release } from '../../domain/release';
import { componentWorkloads, releaseComponentWorkloads, unplacedComponents } from './components';
import { componentContainer, containerImages, IMAGES_ANNOTATION, isWorkload, VERSION_LABEL, workloadName, type Workload } from './workloads';

/** A release's manifests, in the installation's namespace, workloads labelled with the version and their images. */
export function manifestObjects(release: Release, namespace: string): KubernetesObject[] {
  return (release.manifests ?? []).map((manifest: KubernetesManifest) => {
    const object = structuredClone(manifest) as KubernetesObject;
    object.metadata = { ...object.metadata, namespace };
    if (isWorkload(object)) {
      object.metadata.labels = { ...object.metadata.labels, [VERSION_LABEL]: release.version };
      object.metadata.annotations = { ...object.metadata.annotations, [IMAGES_ANNOTATION]: JSON.stringify(containerImages(object)) };
    }
    return object;
  });
}

/**
 * For a release that names only images: one apply per workload of each component (components.ts
 * finds them), setting that container's image. Preflight has refused a release that cannot be
 * placed; this refuses it again should the namespace have changed since.
 */
export function imagePatches(release: Release, namespace: string, current: Workload[], components = Object.keys(release.components)): KubernetesObject[] {
  const unplaced = unplacedComponents({ ...release, components: Object.fromEntries(components.map((c) => [c, release.components[c]])) }, current);
  if (unplaced.length > 0) throw new PortError(ErrorType.ApplyFailed, `release ${release.version} names only images and cannot be applied in namespace ${namespace}: ${unplaced.join('; ')}`, true);
  return components.flatMap((component) => {
    const image = release.components[component];
    return componentWorkloads(release, component, current).workloads.map((workload) => {
      const container = componentContainer(workload, component);
      if (!container) throw new PortError(ErrorType.ApplyFailed, `${workloadName(workload)} has no container named ${component} and more than one container`, true);
      return imagePatch(workload, container.name, image, release.version);
    });
  });
}

/** The smallest apply that sets one container's image (and the version label and images annotation with it). */
export function imagePatch(workload: Workload, container: string, image: string, version: string | undefined): KubernetesObject {
  const images = { ...containerImages(workload), [container]: image };
  return {
    apiVersion: 'apps/v1',
    kind: workload.kind,
    metadata: {
      name: workload.metadata.name,
      namespace: workload.metadata.namespace,
      ...(version ? { labels: { [VERSION_LABEL]: version } } : {}),
      annotations: { [IMAGES_ANNOTATION]: JSON.stringify(images) },
    },
    spec: { template: { spec: { containers: [{ name: container, image }] } } },
  } as KubernetesObject;
}

/** The workloads a release runs, as it specifies them: its manifests', else those of its components in the namespace. */
export function releaseWorkloads(release: Release, namespace: string, current: Workload[]): Workload[] {
  if (release.manifests) {
    return release.manifests.filter((m) => isWorkload(m as KubernetesObject)).map((m) => ({ ...(m as Workload), metadata: { ...m.metadata, namespace } }));
  }
  return releaseComponentWorkloads(release, current);
}
