// `npm run bundle:workflows [-- <out>]`: the workflow code bundled once (default dist/workflows.js),
// for a worker started with CELLSHIFT_WORKFLOW_BUNDLE=<out>: it then runs no webpack of its own.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../worker';

const out = resolve(process.argv[2] ?? 'dist/workflows.js');
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, code);
console.error(`workflow bundle written to ${out} (${Math.round(code.length / 1024)} KiB)`);
