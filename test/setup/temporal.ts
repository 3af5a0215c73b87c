// One Temporal dev server (the project's own binary) and one workflow bundle for the whole run.
// Building the bundle here means a stray import in workflow code fails CI, not a worker in production.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { startDevServer } from '../../scripts/lib/dev-server';
import { WORKFLOWS_PATH } from '../../worker';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
  }
}

export default async function setup(project: TestProject) {
  const server = await startDevServer({ headless: true });
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  const bundlePath = join(mkdtempSync(join(tmpdir(), 'cellshift-bundle-')), 'workflows.js');
  writeFileSync(bundlePath, code);
  project.provide('temporalAddress', server.address);
  project.provide('workflowBundlePath', bundlePath);
  return () => server.stop();
}

const quietLogger = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn: console.warn,
  error: console.error,
};
