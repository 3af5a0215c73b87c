// `npm start`: the embedded default. Dev Temporal server (unless TEMPORAL_ADDRESS is set),
// worker and API as child processes, each writing to its own log under <dataDir>/logs, then the
// demo fleet seeded through the API and a short banner. Ctrl-C stops them all.
//
// A terminal's Ctrl-C sends SIGINT to the whole foreground group (npm, its shell, this process) and
// npm relays it once more: every signal asks for the same orderly stop. The parts run in process
// groups of their own (a Ctrl-C reaches only this process, which stops them in order), hold an IPC
// channel to this process (a part whose starter died, even by SIGKILL, stops itself), and are
// recorded in <dataDir>/run so the next start stops whatever an earlier one left running.
// npm runs it with `node --import tsx`, not tsx's CLI: that one relays a signal to its child and
// SIGKILLs the child when it does not acknowledge the signal within 30 ms, as a busy machine's does not.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EMBEDDED_DATABASE_PORT, loadConfig, temporalAddress } from '../src/config';
import { loadTokens } from '../src/api/http/tokens';
import { waitUntilServing } from './lib/dev-server';
import { forgetParts, recordParts, requireFreePorts, stopLeftovers } from './lib/leftovers';
import { findTemporalCli } from './lib/temporal-cli';
import { DEMO_CELLS, DEMO_PROMOTIONS, DEMO_RELEASES, demoDomain } from './seed/demo-fleet';
import { lifetime, readState } from '../src/agent/credential';
import { splitRelease } from '../src/crypto/release-digest';
import { signRelease } from '../src/crypto/release-signature';
import { demoVendorKey } from './lib/demo-vendor-key';
import { WORKER_NODE_FLAGS } from './lib/worker-flags';

const config = loadConfig();
// The demo's releases are signed by a demo vendor key the API checks and the cells pin, unless the install names its own.
const vendor = demoVendorKey(config.dataDir);
process.env.CELLSHIFT_RELEASE_KEYS_FILE ??= vendor.publicKeyFile;
process.env.CELLSHIFT_VENDOR_KEYS_FILE ??= process.env.CELLSHIFT_RELEASE_KEYS_FILE;
const logDir = join(config.dataDir, 'logs');
mkdirSync(logDir, { recursive: true });
const { tokens, generated } = loadTokens(config.dataDir);
const adminToken = tokens.find((t) => t.role === 'admin')?.token;
const children: { name: string; log: string; script: string; process: ChildProcess }[] = [];

/** A part of cellshift as a child process, its stdout and stderr appended to `<dataDir>/logs/<name>.log`. */
function run(name: string, script: string, flags: string[] = [], args: string[] = [], env: NodeJS.ProcessEnv = {}): void {
  const log = join(logDir, `${name}.log`);
  const fd = openSync(log, 'a');
  writeSync(fd, `--- npm start, ${new Date().toISOString()}\n`);
  // Its own process group: a Ctrl-C reaches only this process, which stops the parts in order.
  // The IPC channel closes when this process ends, however it ends: the part then stops itself (src/lifecycle.ts).
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', script, ...args], { stdio: ['ignore', fd, fd, 'ipc'], env: { ...process.env, ...env }, detached: true });
  closeSync(fd); // the child holds its own copy
  child.channel?.unref(); // the channel is for the part to notice this process end, not to keep it alive
  child.once('exit', (code, signal) => {
    if (stopping) return;
    console.error(`${name} exited (${signal ?? `code ${code}`}); stopping cellshift. The end of ${log}:\n${tail(log)}`);
    void stop(1);
  });
  children.push({ name, log, script, process: child });
  recordParts(config.dataDir, { starter: process.pid, parts: children.map((c) => ({ name: c.name, pid: c.process.pid!, script: c.script })) });
}

function tail(file: string, lines = 20): string {
  if (!existsSync(file)) return '  (no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).map((line) => `  ${line}`).join('\n');
}

/** What the other parts stand on: stopped last, once the worker, API and agents have ended their work on them. */
const FOUNDATIONS = new Set(['temporal', 'db']);
/** The agents' way to Temporal: stopped after the agents, before Temporal. */
const AGENT_ENDPOINT = 'agent-endpoint';

let stopping = false;
async function stop(code = 0): Promise<void> {
  if (stopping) return; // a second signal (npm's relay, an impatient Ctrl-C) changes nothing: the stop is under way
  if (code === 0) console.error('stopping cellshift…');
  stopping = true;
  const running = children.filter((c) => c.process.exitCode === null && c.process.signalCode === null);
  // The worker and agents finish their activities (5 s grace) while Temporal and the agent endpoint
  // still answer; past 15 s they are stuck. The endpoint next, then what everything stands on.
  await stopTogether(running.filter((c) => !FOUNDATIONS.has(c.name) && c.name !== AGENT_ENDPOINT), 15_000);
  await stopTogether(running.filter((c) => c.name === AGENT_ENDPOINT), 10_000);
  await stopTogether(running.filter((c) => FOUNDATIONS.has(c.name)), 10_000);
  if (children.length > 0) forgetParts(config.dataDir);
  process.exit(code);
}

/** SIGTERM to each part's process group (the Temporal server is a child of its part), SIGKILL to those still running after `graceMs`. */
async function stopTogether(parts: typeof children, graceMs: number): Promise<void> {
  const exited = parts.map((c) => (c.process.exitCode === null && c.process.signalCode === null ? new Promise((r) => c.process.once('exit', r)) : undefined));
  for (const c of parts) signalGroup(c.process, 'SIGTERM');
  const killer = setTimeout(() => parts.forEach((c) => signalGroup(c.process, 'SIGKILL')), graceMs);
  await Promise.all(exited);
  clearTimeout(killer);
  for (const c of parts) signalGroup(c.process, 'SIGKILL'); // whatever of its group outlived the part
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // the group has ended
  }
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop());

try {
  for (const line of await stopLeftovers(config.dataDir)) console.error(line);
  await requireFreePorts([
    ...(config.temporalAddress ? [] : [{ port: 7233, what: 'the embedded Temporal server; TEMPORAL_ADDRESS uses yours' }, { port: 8233, what: 'its Web UI' }]),
    ...(config.databaseUrl ? [] : [{ port: EMBEDDED_DATABASE_PORT, what: 'the embedded database; DATABASE_URL uses yours' }]),
    { port: config.port, what: 'the API; PORT moves it' },
    { port: config.agentEndpoint.port, what: 'the agent endpoint; CELLSHIFT_AGENT_ENDPOINT_PORT moves it' },
  ]);
  if (!config.temporalAddress) {
    findTemporalCli(); // builds it first if needed, with its own progress lines
    run('temporal', 'scripts/temporal.ts');
  }
  if (!config.databaseUrl) run('db', 'scripts/db.ts');
  await waitUntilServing(temporalAddress(config), undefined, 120_000);
  run('worker', 'worker.ts', WORKER_NODE_FLAGS);
  run('api', 'src/api/server.ts');
  run(AGENT_ENDPOINT, 'src/agent-endpoint/server.ts');

  const api = `http://127.0.0.1:${config.port}`;
  await waitForApi(api);
  const seeded = await seed(api);
  // The demo's agent cells run their agents here too; in a real fleet each runs inside its cell.
  // First started, an agent registers with a bootstrap token, as a customer's bootstrap would start it.
  for (const cell of DEMO_CELLS.filter((c) => c.connection === 'agent')) {
    run(`agent-${cell.id}`, 'agent.ts', [], ['--cell', cell.id, '--control-plane', api], await bootstrapToken(api, cell.id));
  }

  console.error(`
cellshift is running (Ctrl-C stops it)
  API      ${api}   (OpenAPI: ${api}/docs/json)
  agents   ${config.agentEndpoint.address}   (the agent endpoint: mutual TLS, the only way agents reach Temporal)
  Web UI   ${config.temporalAddress ? '(your Temporal server’s UI)' : 'http://localhost:8233'}
  token    ${generated ? `admin, generated once, in ${join(config.dataDir, 'admin-token')} (never printed)` : 'from your configuration'}
  demo     ${seeded}
  data     ${config.dataDir}
  logs     ${children.map((c) => c.log).join('\n           ')}
try:
  export TOKEN=${generated ? `$(cat ${join(config.dataDir, 'admin-token')})` : '<your admin token>'}
  curl -s -H "Authorization: Bearer $TOKEN" ${api}/v1/cells
`);
} catch (err) {
  if (!stopping) {
    console.error(`cellshift did not start: ${err instanceof Error ? err.message : String(err)}`);
    await stop(1);
  }
}

/**
 * A bootstrap token, with the CA hash to pin, for a demo agent that has not registered yet or whose
 * credential ended while cellshift was stopped (its registration is kept in the data directory).
 */
async function bootstrapToken(base: string, cellId: string): Promise<NodeJS.ProcessEnv> {
  const kept = readState(join(config.dataDir, `agent-${cellId}.json`), cellId);
  if (kept && lifetime(kept.credential.certificatePem).notAfter > new Date(Date.now() + 60_000)) return {};
  const res = await fetch(`${base}/v1/cells/${cellId}/bootstrap-token`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ expiresInMinutes: 60 }),
  });
  if (!res.ok) throw new Error(`no bootstrap token for the demo's agent cell ${cellId}: ${res.status} ${await res.text()}`);
  const issued = (await res.json()) as { token: string; caSha256: string };
  return { CELLSHIFT_BOOTSTRAP_TOKEN: issued.token, CELLSHIFT_CA_SHA256: issued.caSha256 };
}

async function waitForApi(base: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`the API did not come up on ${base}. The end of ${join(logDir, 'api.log')}:\n${tail(join(logDir, 'api.log'))}`);
}

/** Publishes the demo releases, signed by the demo vendor key, and registers the demo cells; what exists already is kept. */
async function seed(base: string): Promise<string> {
  const headers = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
  for (const release of DEMO_RELEASES) {
    const signed = { ...release, signature: signRelease(splitRelease(release).digest, vendor.privateKeyPem) };
    const res = await fetch(`${base}/v1/releases`, { method: 'POST', headers, body: JSON.stringify(signed) });
    if (res.status >= 300 && res.status !== 409) console.error(`seeding release ${release.version}: ${res.status} ${await res.text()}`);
    for (const ring of DEMO_PROMOTIONS[release.version] ?? []) {
      const promoted = await fetch(`${base}/v1/releases/${release.version}/promote`, { method: 'POST', headers, body: JSON.stringify({ ring }) });
      if (!promoted.ok) console.error(`promoting ${release.version} to ${ring}: ${promoted.status} ${await promoted.text()}`);
    }
  }
  for (const cell of DEMO_CELLS) {
    // Each with its own domain, its first configuration revision.
    const res = await fetch(`${base}/v1/cells`, { method: 'POST', headers, body: JSON.stringify({ ...cell, config: { domain: demoDomain(cell.id) } }) });
    if (res.status >= 300 && res.status !== 409) console.error(`seeding cell ${cell.id}: ${res.status} ${await res.text()}`);
  }
  return `${DEMO_RELEASES.length} releases and ${DEMO_CELLS.length} cells seeded (existing ones kept)`;
}
