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
  // Idle pollers ask again every 5 s instead of every minute: a stopped agent shows as offline after
  // seconds (a test can then set a short offline threshold) and costs nothing else a test sees.
  const server = await startDevServer({ headless: true, dynamicConfig: { 'matching.longPollExpirationInterval': '"5s"' } });
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
