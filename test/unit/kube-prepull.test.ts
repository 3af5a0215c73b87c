import type { V1Container, V1NodeSystemInfo, V1PodSpec } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { choosePrePullMethod, imageOfContainer, prePullDaemonSet, prePullOptions, type PrePullMethod } from '../../src/adapters/kubernetes/prepull-pod';

// Images as vendors publish them, none with a shell: distroless, and a Go binary built FROM scratch.
const RELEASE_IMAGES = [
  'gcr.io/distroless/static-debian12@sha256:6ec5aa99dc335666e79dc64e4a6c8b89c33a543a1967f20d360922a80dd21f02',
  'ghcr.io/acme/operator@sha256:0f8b3a1c5e2d4f6a7b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a',
  'registry.acme.example/product/api:5.1.0',
];
const OPTIONS = prePullOptions();

function podSpec(method: PrePullMethod): V1PodSpec {
  return prePullDaemonSet('cellshift-prepull', 'product', { app: 'prepull' }, RELEASE_IMAGES, method, OPTIONS).spec!.template.spec!;
}

const everyContainer = (spec: V1PodSpec): V1Container[] => [...(spec.initContainers ?? []), ...spec.containers];

/**
 * The `restricted` Pod Security Standard (with the baseline it includes), field by field, as
 * pod-security-admission v0.36 checks a pod; each entry names what is refused.
 */
function restrictedViolations(spec: V1PodSpec): string[] {
  const out: string[] = [];
  const containers = everyContainer(spec);
  const pod = spec.securityContext ?? {};
  // baseline
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) out.push('host namespaces');
  if (pod.windowsOptions?.hostProcess || containers.some((c) => c.securityContext?.windowsOptions?.hostProcess)) out.push('hostProcess');
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    if (sc.privileged) out.push(`${c.name}: privileged`);
    if ((c.ports ?? []).some((p) => p.hostPort)) out.push(`${c.name}: hostPort`);
    if (sc.procMount && sc.procMount !== 'Default') out.push(`${c.name}: procMount`);
    if (sc.appArmorProfile?.type === 'Unconfined') out.push(`${c.name}: AppArmor unconfined`);
    if (sc.seLinuxOptions?.user || sc.seLinuxOptions?.role || (sc.seLinuxOptions?.type && !['container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'].includes(sc.seLinuxOptions.type))) out.push(`${c.name}: SELinux`);
    // restricted
    if (sc.allowPrivilegeEscalation !== false) out.push(`${c.name}: allowPrivilegeEscalation != false`);
    if (!sc.capabilities?.drop?.includes('ALL')) out.push(`${c.name}: capabilities.drop lacks ALL`);
    if ((sc.capabilities?.add ?? []).some((cap) => cap !== 'NET_BIND_SERVICE')) out.push(`${c.name}: capabilities added`);
    if (sc.runAsUser === 0) out.push(`${c.name}: runAsUser 0`);
    if (sc.runAsNonRoot === false || (sc.runAsNonRoot !== true && pod.runAsNonRoot !== true)) out.push(`${c.name}: runAsNonRoot != true`);
    const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') out.push(`${c.name}: seccompProfile`);
  }
  if (pod.runAsUser === 0) out.push('pod: runAsUser 0');
  if (pod.appArmorProfile?.type === 'Unconfined') out.push('pod: AppArmor unconfined');
  if (pod.seLinuxOptions?.user || pod.seLinuxOptions?.role) out.push('pod: SELinux');
  const safeSysctls = ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes'];
  if ((pod.sysctls ?? []).some((s) => !safeSysctls.includes(s.name))) out.push('pod: unsafe sysctls');
  const allowedVolumes = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image', 'persistentVolumeClaim', 'projected', 'secret'];
  for (const v of spec.volumes ?? []) {
    const types = Object.keys(v).filter((k) => k !== 'name');
    if (types.some((t) => !allowedVolumes.includes(t))) out.push(`volume ${v.name}: ${types.join(', ')}`);
  }
  return out;
}

describe('the pre-pull pod', () => {
  it('the check of `restricted` refuses the pod pre-pull used to run (sh -c true, no security context)', () => {
    const old: V1PodSpec = {
      initContainers: [{ name: 'pull-0', image: RELEASE_IMAGES[0], command: ['sh', '-c', 'true'] }],
      containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10' }],
    };
    expect(restrictedViolations(old)).toEqual(expect.arrayContaining(['pull-0: allowPrivilegeEscalation != false', 'pull-0: capabilities.drop lacks ALL', 'pull-0: runAsNonRoot != true', 'pull-0: seccompProfile']));
  });

  for (const method of ['image-volume', 'copied-no-op'] as const) {
    describe(method, () => {
      const spec = podSpec(method);

      it('meets the restricted Pod Security Standard, field by field', () => {
        expect(restrictedViolations(spec)).toEqual([]);
        expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        expect(spec.securityContext?.runAsUser).toBeGreaterThan(0);
        expect(spec.automountServiceAccountToken).toBe(false);
      });

      it('has every release image pulled by the node', () => {
        const pulled = [...everyContainer(spec).map((c) => c.image), ...(spec.volumes ?? []).map((v) => v.image?.reference)];
        for (const image of RELEASE_IMAGES) expect(pulled).toContain(image);
        expect(spec.volumes?.filter((v) => v.image).every((v) => v.image?.pullPolicy === 'IfNotPresent')).toBe(true);
      });

      it('runs nothing of a release image: no shell, no path of theirs', () => {
        for (const c of everyContainer(spec)) {
          expect([...(c.command ?? []), ...(c.args ?? [])].join(' ')).not.toMatch(/\b(sh|bash|ash)\b/);
          if (!RELEASE_IMAGES.includes(c.image!)) continue;
          // A container of a release image runs a binary from a volume only cellshift's own image wrote to.
          expect(c.command, `${c.name} names its command`).toBeDefined();
          expect(c.args ?? []).toEqual([]);
          const mount = c.volumeMounts?.find((m) => c.command![0].startsWith(`${m.mountPath}/`));
          expect(mount, `${c.name}: ${c.command![0]} is on a mounted volume`).toBeDefined();
          expect(mount!.readOnly).toBe(true);
          expect(spec.volumes?.find((v) => v.name === mount!.name)?.emptyDir).toBeDefined();
          const writers = everyContainer(spec).filter((w) => w.volumeMounts?.some((m) => m.name === mount!.name && !m.readOnly));
          expect(writers.map((w) => w.image)).toEqual([OPTIONS.noopImage]);
        }
      });

      it('names the release image a pull container pulls', () => {
        const pulls = (spec.initContainers ?? []).filter((c) => imageOfContainer(c.name, RELEASE_IMAGES));
        expect(pulls.map((c) => imageOfContainer(c.name, RELEASE_IMAGES))).toEqual(RELEASE_IMAGES);
        expect(imageOfContainer('pause', RELEASE_IMAGES)).toBeUndefined();
      });
    });
  }

  it('with image volumes, no container runs a release image at all: pause mounts each and prints its version', () => {
    const spec = podSpec('image-volume');
    expect(everyContainer(spec).map((c) => c.image)).toEqual(everyContainer(spec).map(() => OPTIONS.pauseImage));
    for (const [i, image] of RELEASE_IMAGES.entries()) {
      const volume = spec.volumes?.find((v) => v.image?.reference === image);
      expect(spec.initContainers?.[i]).toMatchObject({ command: ['/pause', '-v'], volumeMounts: [{ name: volume?.name, readOnly: true }] });
    }
  });

  it('with the copied no-op, a static busybox is copied as `true` before any release image', () => {
    const [first, ...rest] = podSpec('copied-no-op').initContainers!;
    expect(first).toMatchObject({ image: OPTIONS.noopImage, command: ['/bin/cp', '/bin/true', '/cellshift-bin/true'] });
    expect(rest.map((c) => [c.image, c.command])).toEqual(RELEASE_IMAGES.map((image) => [image, ['/cellshift-bin/true']]));
  });
});

describe('choosing how to pre-pull', () => {
  const node = (kubeletVersion: string, containerRuntimeVersion: string) => ({ kubeletVersion, containerRuntimeVersion }) as V1NodeSystemInfo;
  const current = node('v1.36.1', 'containerd://2.1.4');

  it('uses image volumes where the API server, every kubelet and every runtime can mount them', () => {
    expect(choosePrePullMethod('auto', 36, [current, node('v1.35.2-eks-3025e55', 'containerd://2.2.0'), node('v1.35.0+k3s1', 'cri-o://1.31.4')])).toBe('image-volume');
    expect(choosePrePullMethod('auto', 35, [])).toBe('image-volume');
  });

  it('copies the no-op elsewhere: an older API server, kubelet or runtime, or one it does not know', () => {
    expect(choosePrePullMethod('auto', 34, [current])).toBe('copied-no-op');
    expect(choosePrePullMethod('auto', 36, [current, node('v1.34.3', 'containerd://2.1.4')])).toBe('copied-no-op');
    expect(choosePrePullMethod('auto', 36, [current, node('v1.36.1', 'containerd://1.7.27')])).toBe('copied-no-op');
    expect(choosePrePullMethod('auto', 36, [current, node('v1.36.1', 'containerd://2.0.5')])).toBe('copied-no-op');
    expect(choosePrePullMethod('auto', 36, [node('v1.36.1', 'cri-o://1.30.9')])).toBe('copied-no-op');
    expect(choosePrePullMethod('auto', 36, [node('v1.36.1', 'docker://28.0.1')])).toBe('copied-no-op');
    expect(choosePrePullMethod('auto', 36, [node('kwok-0.8.0', 'kwok-0.8.0')])).toBe('copied-no-op');
    expect(choosePrePullMethod('auto', 36, [undefined])).toBe('copied-no-op');
  });

  it('does what the operator set, whatever the cluster', () => {
    expect(choosePrePullMethod('copied-no-op', 36, [current])).toBe('copied-no-op');
    expect(choosePrePullMethod('image-volume', 31, [])).toBe('image-volume');
  });

  it('takes its images from the configuration, and refuses a method it does not know', () => {
    expect(prePullOptions()).toEqual({ method: 'auto', pauseImage: 'registry.k8s.io/pause:3.10', noopImage: 'docker.io/library/busybox:1.37.0-musl' });
    expect(prePullOptions({ method: 'copied-no-op', pauseImage: 'mirror.internal/pause:3.10', noopImage: 'mirror.internal/busybox:1.37.0-musl' })).toEqual({
      method: 'copied-no-op',
      pauseImage: 'mirror.internal/pause:3.10',
      noopImage: 'mirror.internal/busybox:1.37.0-musl',
    });
    expect(() => prePullOptions({ method: 'shell' })).toThrow(/pre-pull method must be one of auto, image-volume, copied-no-op, not "shell"/);
  });
});
