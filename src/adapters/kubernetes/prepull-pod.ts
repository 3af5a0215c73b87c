// What the pre-pull DaemonSet runs on every node, and how it is chosen. Nothing of a release's
// images ever runs: vendors publish images built FROM scratch, distroless or chiseled, which have
// no shell and no binary cellshift could name. The pod meets the `restricted` Pod Security
// Standard, so it runs in namespaces that enforce it.
// Only type imports from the client: config.ts reads the options from here.
import type { V1Container, V1DaemonSet, V1NodeSystemInfo, V1SecurityContext } from '@kubernetes/client-node';

/**
 * `image-volume`: each image is an image volume (KEP-4639; on by default from Kubernetes 1.35, GA
 * in 1.36): the kubelet pulls it and mounts it read-only into a container of the pause image, which
 * prints its version (`/pause -v`) and exits. Nothing of the image runs, and no image but the pause
 * image is needed.
 * `copied-no-op`: for clusters without image volumes. A first init container copies a static
 * busybox, as `true`, into an emptyDir; each image then runs as an init container whose command is
 * that copy (it exits 0). A static binary runs in any image of the node's architecture, even one
 * without a shell or a libc; nothing of the image's own runs. Not the pause binary: its image has
 * nothing to copy it with. busybox's -musl variant is static and an official image mirrors carry.
 * `auto`: `image-volume` where the API server, every node's kubelet and container runtime can
 * mount image volumes; `copied-no-op` elsewhere.
 */
export const PREPULL_METHODS = ['auto', 'image-volume', 'copied-no-op'] as const;
export type PrePullMethod = Exclude<(typeof PREPULL_METHODS)[number], 'auto'>;

export interface PrePullOptions {
  method: (typeof PREPULL_METHODS)[number];
  /** the pause image: the pods' long-running container, and, with image volumes, the one that mounts them */
  pauseImage: string;
  /** copied-no-op: a statically linked busybox (the `-musl` variant), whose /bin/true is copied into each pod */
  noopImage: string;
}

/** Public images a cell pulls for cellshift itself; an air-gapped cell names its mirror's copies instead. */
export const DEFAULT_PREPULL_IMAGES = { pauseImage: 'registry.k8s.io/pause:3.10', noopImage: 'docker.io/library/busybox:1.37.0-musl' };

/** The options with their defaults; a method that is not one of PREPULL_METHODS is refused. */
export function prePullOptions(given: { method?: string; pauseImage?: string; noopImage?: string } = {}): PrePullOptions {
  const method = given.method || 'auto';
  if (!(PREPULL_METHODS as readonly string[]).includes(method)) throw new Error(`pre-pull method must be one of ${PREPULL_METHODS.join(', ')}, not "${method}"`);
  return {
    method: method as PrePullOptions['method'],
    pauseImage: given.pauseImage || DEFAULT_PREPULL_IMAGES.pauseImage,
    noopImage: given.noopImage || DEFAULT_PREPULL_IMAGES.noopImage,
  };
}

/** Container runtimes that mount image volumes from these versions on (containerd 2.1, CRI-O 1.31). */
const IMAGE_VOLUME_RUNTIMES: Record<string, [number, number]> = { containerd: [2, 1], 'cri-o': [1, 31] };
/** ImageVolume is on by default from Kubernetes 1.35 (beta), GA and locked on in 1.36. */
const IMAGE_VOLUME_MINOR = 35;

/**
 * Image volumes when the API server (it drops the field otherwise) and every node's kubelet are
 * 1.35 or later and every node's runtime mounts them; a node that cannot would fail the pod.
 */
export function choosePrePullMethod(method: PrePullOptions['method'], serverMinor: number, nodes: (V1NodeSystemInfo | undefined)[]): PrePullMethod {
  if (method !== 'auto') return method;
  const atLeast = (version: [number, number] | undefined, min: [number, number]) => !!version && (version[0] > min[0] || (version[0] === min[0] && version[1] >= min[1]));
  const capable = nodes.every((info) => {
    const kubelet = majorMinor(info?.kubeletVersion);
    const [, runtime, runtimeVersion] = /^([a-z-]+):\/\/(.*)$/.exec(info?.containerRuntimeVersion ?? '') ?? [];
    const needed = runtime ? IMAGE_VOLUME_RUNTIMES[runtime] : undefined;
    return atLeast(kubelet, [1, IMAGE_VOLUME_MINOR]) && !!needed && atLeast(majorMinor(runtimeVersion), needed);
  });
  return serverMinor >= IMAGE_VOLUME_MINOR && capable ? 'image-volume' : 'copied-no-op';
}

function majorMinor(version: string | undefined): [number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)/.exec(version ?? '');
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/** The pause image's user (65535), for every container: `restricted` wants a non-root user, and vendor images may name root or a user by name. */
const POD_USER = 65535;
/** Where the copied no-op lives in each pod. */
const NOOP_DIR = '/cellshift-bin';

/** What `restricted` asks of each container, and read-only root filesystems besides. */
const CONTAINER_SECURITY: V1SecurityContext = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, runAsNonRoot: true };
const SMALL = { requests: { cpu: '1m', memory: '4Mi' } };

/** The init container that pulls `images[i]`. */
export function pullContainerName(i: number): string {
  return `pull-${i}`;
}

/** The release image an init container pulls; undefined for the pods' other containers. */
export function imageOfContainer(container: string | undefined, images: string[]): string | undefined {
  const match = /^pull-(\d+)$/.exec(container ?? '');
  return match ? images[Number(match[1])] : undefined;
}

export function prePullDaemonSet(name: string, namespace: string, labels: Record<string, string>, images: string[], method: PrePullMethod, options: PrePullOptions): V1DaemonSet {
  const container = (c: V1Container): V1Container => ({ imagePullPolicy: 'IfNotPresent', resources: SMALL, securityContext: CONTAINER_SECURITY, ...c });
  const pulls =
    method === 'image-volume'
      ? {
          volumes: images.map((image, i) => ({ name: `image-${i}`, image: { reference: image, pullPolicy: 'IfNotPresent' } })),
          // One container per image, so a pull error shows on the container that names it.
          initContainers: images.map((_, i) =>
            container({ name: pullContainerName(i), image: options.pauseImage, command: ['/pause', '-v'], volumeMounts: [{ name: `image-${i}`, mountPath: '/image', readOnly: true }] }),
          ),
        }
      : {
          volumes: [{ name: 'cellshift-bin', emptyDir: { sizeLimit: '16Mi' } }],
          initContainers: [
            // busybox picks its applet by the name it was called by: the copy runs as `true`.
            container({ name: 'noop', image: options.noopImage, command: ['/bin/cp', '/bin/true', `${NOOP_DIR}/true`], volumeMounts: [{ name: 'cellshift-bin', mountPath: NOOP_DIR }] }),
            ...images.map((image, i) =>
              container({
                name: pullContainerName(i),
                image,
                command: [`${NOOP_DIR}/true`],
                // The image's entrypoint, user and working directory are not used; the mount is the only path it needs.
                workingDir: NOOP_DIR,
                volumeMounts: [{ name: 'cellshift-bin', mountPath: NOOP_DIR, readOnly: true }],
              }),
            ),
          ],
        };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace, labels },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          ...pulls,
          // The pause container keeps the pod, and so the DaemonSet's readiness, up until it is deleted.
          containers: [container({ name: 'pause', image: options.pauseImage })],
          securityContext: { runAsNonRoot: true, runAsUser: POD_USER, runAsGroup: POD_USER, seccompProfile: { type: 'RuntimeDefault' } },
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 0,
        },
      },
    },
  };
}
