// Finding a release's components in manifests as vendors publish them: plain upstream YAML with
// only an `app` label, and Helm output with the recommended labels and its own workload names.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAllYaml, type KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { componentWorkloads, unplacedComponents } from '../../src/adapters/kubernetes/components';
import { imagePatches } from '../../src/adapters/kubernetes/release-objects';
import { isWorkload, type Workload } from '../../src/adapters/kubernetes/workloads';
import type { Release } from '../../src/domain/release';

const manifests = (file: string) => loadAllYaml(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'manifests', file), 'utf8')) as KubernetesObject[];
const workloads = (file: string) => manifests(file).filter(isWorkload) as Workload[];
const names = (found: Workload[]) => found.map((w) => `${w.kind}/${w.metadata.name}`);
const release = (components: Record<string, string>, workloadSelectors?: Release['workloadSelectors']): Release => ({ version: '2.0.0', components, breaking: false, workloadSelectors });

describe('finding the workloads of a release that names only images', () => {
  it('finds upstream YAML by its app label', () => {
    const found = componentWorkloads(release({ nginx: 'nginx:1.27.3' }), 'nginx', workloads('nginx-upstream.yaml'));
    expect(found).toMatchObject({ by: 'app' });
    expect(names(found.workloads)).toEqual(['Deployment/nginx-deployment']);
  });

  it('finds Helm output by app.kubernetes.io/name, and the container named after the component', () => {
    const current = workloads('helm-gitea.yaml');
    const r = release({ gitea: 'gitea/gitea:1.23.1-rootless', valkey: 'docker.io/bitnami/valkey:8.0.2' });
    expect(names(componentWorkloads(r, 'gitea', current).workloads)).toEqual(['Deployment/my-gitea']);
    expect(componentWorkloads(r, 'valkey', current)).toMatchObject({ by: 'app.kubernetes.io/name' });
    expect(unplacedComponents(r, current)).toEqual([]);
    // The patch changes the named container only: not the init container, not the metrics sidecar.
    const patches = imagePatches(r, 'product', current);
    expect(patches.map((p) => [p.metadata?.name, (p as Workload).spec?.template?.spec?.containers])).toEqual([
      ['my-gitea', [{ name: 'gitea', image: 'gitea/gitea:1.23.1-rootless' }]],
      ['my-gitea-valkey', [{ name: 'valkey', image: 'docker.io/bitnami/valkey:8.0.2' }]],
    ]);
  });

  it('prefers the workload named as the component over labels, and labels in the documented order', () => {
    const byName = { ...workloads('nginx-upstream.yaml')[0], metadata: { name: 'web', labels: { app: 'other' } } };
    const byAppName = { ...workloads('nginx-upstream.yaml')[0], metadata: { name: 'frontend', labels: { 'app.kubernetes.io/name': 'web' } } };
    const byApp = { ...workloads('nginx-upstream.yaml')[0], metadata: { name: 'legacy', labels: { app: 'web' } } };
    const r = release({ web: 'nginx:1.27.3' });
    expect(componentWorkloads(r, 'web', [byApp, byAppName, byName])).toMatchObject({ by: 'name', workloads: [byName] });
    expect(componentWorkloads(r, 'web', [byApp, byAppName])).toMatchObject({ by: 'app.kubernetes.io/name', workloads: [byAppName] });
    expect(componentWorkloads(r, 'web', [byApp])).toMatchObject({ by: 'app', workloads: [byApp] });
  });

  it('takes the selector a release declares, and only it', () => {
    const current = workloads('helm-gitea.yaml');
    const r = release({ cache: 'docker.io/bitnami/valkey:8.0.2' }, { cache: { 'app.kubernetes.io/instance': 'my-gitea', 'app.kubernetes.io/component': 'primary' } });
    expect(names(componentWorkloads(r, 'cache', current).workloads)).toEqual(['StatefulSet/my-gitea-valkey']);
    // A declared selector that finds nothing is not rescued by the name rules.
    const wrong = release({ gitea: 'gitea/gitea:1.23.1' }, { gitea: { tier: 'web' } });
    expect(unplacedComponents(wrong, current)).toEqual(['component gitea: no Deployment or StatefulSet matches the release\'s selector {"tier":"web"}']);
  });

  it('names each component it cannot place, and a workload whose container is not clear', () => {
    const current = workloads('helm-gitea.yaml');
    const r = release({ gitea: 'gitea/gitea:1.23.1', runner: 'gitea/act_runner:0.2.11', cache: 'valkey:8' }, { cache: { 'app.kubernetes.io/name': 'valkey' } });
    expect(unplacedComponents(r, current)).toEqual([
      'component runner: no Deployment or StatefulSet named runner or labelled app.kubernetes.io/name=runner or app=runner',
      'component cache: statefulset/my-gitea-valkey has several containers and none is named cache',
    ]);
    expect(() => imagePatches(r, 'product', current)).toThrow(/component runner: no Deployment or StatefulSet/);
  });
});
