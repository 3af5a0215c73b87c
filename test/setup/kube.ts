// One Kubernetes control plane on loopback (etcd, kube-apiserver, controller-manager, scheduler,
// kwok's fake kubelets) for the Kubernetes suite. No skip: a run without it is a failed run.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { containerLogPath, startKubeTestbed } from '../../scripts/lib/kube-testbed';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfigPath: string;
    /** What kwok answers as every container's log (CRI log format); a test writes it. */
    containerLogPath: string;
  }
}

export default async function setup(project: TestProject) {
  // A cluster already running (`npx tsx scripts/kube-testbed.ts start`) saves a minute per run while developing.
  if (process.env.CELLSHIFT_TEST_KUBECONFIG) {
    project.provide('kubeconfigPath', process.env.CELLSHIFT_TEST_KUBECONFIG);
    project.provide('containerLogPath', containerLogPath(dirname(process.env.CELLSHIFT_TEST_KUBECONFIG)));
    return;
  }
  const workDir = mkdtempSync(join(tmpdir(), 'cellshift-kube-'));
  const bed = await startKubeTestbed({ name: `cellshift-test-${process.pid}`, workDir });
  project.provide('kubeconfigPath', bed.kubeconfigPath);
  project.provide('containerLogPath', containerLogPath(workDir));
  return () => bed.stop();
}
