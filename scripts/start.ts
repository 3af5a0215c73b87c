// `npm start`: the embedded default. Dev Temporal server (unless TEMPORAL_ADDRESS is set),
// worker and API as child processes, then the demo fleet seeded through the API.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, temporalAddress } from '../src/config';
import { loadTokens } from '../src/api/tokens';
import { waitUntilServing } from './lib/dev-server';
import { findTemporalCli } from './lib/temporal-cli';
import { DEMO_CELLS, DEMO_PROMOTIONS, DEMO_RELEASES } from './seed/demo-fleet';
import { WORKER_NODE_FLAGS } from './lib/worker-flags';

const config = loadConfig();
mkdirSync(config.dataDir, { recursive: true });
const { tokens, generated } = loadTokens(config.dataDir);
const adminToken = tokens.find((t) => t.role === 'admin')?.token;
const children: ChildProcess[] = [];

function run(name: string, script: string, flags: string[] = []): ChildProcess {
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', script], { stdio: 'inherit', env: process.env });
  child.once('exit', (code, signal) => {
    if (stopping) return;
    console.error(`${name} exited (${signal ?? code}); stopping cellshift`);
    void stop(1);
  });
  children.push(child);
  return child;
}

let stopping = false;
async function stop(code = 0): Promise<never> {
  stopping = true;
  for (const child of [...children].reverse()) child.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  process.exit(code);
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());

if (!config.temporalAddress) {
  findTemporalCli(); // builds it first if needed, with its own progress lines
  run('temporal', 'scripts/temporal.ts');
}
await waitUntilServing(temporalAddress(config), undefined, 120_000);
run('worker', 'worker.ts', WORKER_NODE_FLAGS);
run('api', 'src/api/server.ts');

const api = `http://127.0.0.1:${config.port}`;
await waitForApi(api);
await seed(api);

console.error(`
cellshift is running
  API        ${api}   (OpenAPI: ${api}/docs/json)
  Web UI     ${config.temporalAddress ? '(your Temporal server’s UI)' : 'http://localhost:8233'}
  data       ${config.dataDir}
  token      ${generated ? `${generated} (generated, kept in ${join(config.dataDir, 'admin-token')})` : 'from your configuration'}
try:
  export TOKEN=${generated ?? '<your admin token>'}
  curl -s -H "Authorization: Bearer $TOKEN" ${api}/v1/cells
`);

async function waitForApi(base: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`the API did not come up on ${base}`);
}

async function seed(base: string): Promise<void> {
  const headers = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
  for (const release of DEMO_RELEASES) {
    const res = await fetch(`${base}/v1/releases`, { method: 'POST', headers, body: JSON.stringify(release) });
    if (res.status >= 300 && res.status !== 409) console.error(`seeding release ${release.version}: ${res.status} ${await res.text()}`);
    for (const ring of DEMO_PROMOTIONS[release.version] ?? []) {
      const promoted = await fetch(`${base}/v1/releases/${release.version}/promote`, { method: 'POST', headers, body: JSON.stringify({ ring }) });
      if (!promoted.ok) console.error(`promoting ${release.version} to ${ring}: ${promoted.status} ${await promoted.text()}`);
    }
  }
  for (const cell of DEMO_CELLS) {
    const res = await fetch(`${base}/v1/cells`, { method: 'POST', headers, body: JSON.stringify(cell) });
    if (res.status >= 300 && res.status !== 409) console.error(`seeding cell ${cell.id}: ${res.status} ${await res.text()}`);
  }
  console.error(`seeded ${DEMO_RELEASES.length} releases and ${DEMO_CELLS.length} cells (existing ones kept)`);
}
