// API tokens kept as hashes: a tokens file holding only SHA-256 digests (made by `cellshift tokens
// hash`) lets their holders in with their roles; the API as its own process (`npm run api`, request
// logging on) never writes a token to its output, neither a configured one nor the one it generated.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeyAndCsr } from '../src/crypto/agent-ca';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenDigest } from '../src/crypto/token-digest';
import { freePort } from '../scripts/lib/dev-server';
import { Harness } from './helpers/harness';

const BIN = join(import.meta.dirname, '..', 'bin', 'cellshift.mjs');
const OPERATOR = 'op-J2xv7Qw9LmN4pR8sT1uV6yZ3aB5cD0eF';
const VIEWER = 'vw-K7mZ2qP9xL4nR1sT8uV3yW6aB0cD5eFg';

/** `cellshift …` with `stdin` on its standard input. */
function cellshift(args: string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    child.stdin?.end(stdin);
  });
}

describe('API tokens kept as hashes', () => {
  let h: Harness;
  const apis: ChildProcess[] = [];
  beforeAll(async () => {
    h = await Harness.start({ worker: false });
  });
  afterAll(async () => {
    for (const api of apis) if (api.exitCode === null) await new Promise((resolve) => api.once('exit', resolve).kill('SIGTERM'));
    await h?.stop();
  });

  /** `src/api/server.ts` as its own process on this file's Temporal and database; all it writes, kept. */
  async function startApi(env: Record<string, string>): Promise<{ url: string; output: () => string; dataDir: string }> {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'cellshift-api-tokens-'));
    let output = '';
    const api = spawn(process.execPath, ['--import', 'tsx', 'src/api/server.ts'], {
      env: { ...process.env, TEMPORAL_ADDRESS: h.address, DATABASE_URL: h.database.url, CELLSHIFT_DATA_DIR: dataDir, CELLSHIFT_TASK_QUEUE: h.taskQueue, PORT: String(port), HOST: '127.0.0.1', CELLSHIFT_LOG: 'on', CELLSHIFT_TOKENS: '', CELLSHIFT_TOKENS_FILE: '', CELLSHIFT_ADMIN_TOKEN: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    apis.push(api);
    api.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    api.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const url = `http://127.0.0.1:${port}`;
    await h.waitFor(`the API on ${url}`, async () => {
      if (api.exitCode !== null) throw new Error(`the API exited: ${output}`);
      return (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) || undefined;
    });
    return { url, output: () => output, dataDir };
  }
  const get = (url: string, path: string, token: string) => fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });

  it('cellshift tokens hash: the SHA-256 of the token on stdin, as text and JSON; nothing on stdin refused', async () => {
    const text = await cellshift(['tokens', 'hash'], `${OPERATOR}\n`);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.trim()).toBe(tokenDigest(OPERATOR));
    expect(text.stderr).toBe('');
    expect(JSON.parse((await cellshift(['-o', 'json', 'tokens', 'hash'], VIEWER)).stdout)).toEqual({ tokenSha256: tokenDigest(VIEWER) });
    const empty = await cellshift(['tokens', 'hash'], '');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('no token on stdin');
    expect((await cellshift(['tokens', 'hash'], 'two tokens')).code).toBe(2);
    // A short (guessable) token is hashed, with a warning: its hash could be reversed by guessing.
    const short = await cellshift(['tokens', 'hash'], 'admin-secret');
    expect(short.stdout.trim()).toBe(tokenDigest('admin-secret'));
    expect(short.stderr).toContain('use a random one');
  });

  it('a tokens file of hashes only: each token gets its role, anything else 401; no token in the API\'s log', { timeout: 90_000 }, async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cellshift-tokens-')), 'tokens.json');
    const hash = async (token: string) => (await cellshift(['tokens', 'hash'], token)).stdout.trim();
    writeFileSync(file, JSON.stringify([
      { tokenSha256: await hash(OPERATOR), subject: 'oscar', role: 'operator' },
      { tokenSha256: await hash(VIEWER), subject: 'vera', role: 'viewer' },
    ]));
    expect(readFileSync(file, 'utf8')).not.toContain(OPERATOR.slice(3));
    const api = await startApi({ CELLSHIFT_TOKENS_FILE: file });

    expect((await get(api.url, '/v1/cells', VIEWER)).status).toBe(200);
    expect((await get(api.url, '/v1/cells', OPERATOR)).status).toBe(200);
    const refused = await get(api.url, '/v1/webhooks', OPERATOR); // admin only
    expect(refused.status).toBe(403);
    expect((await refused.json()).detail).toBe('this needs the admin role; the token of oscar has operator');
    for (const wrong of [tokenDigest(OPERATOR), `${OPERATOR}x`, OPERATOR.slice(0, -1)]) expect((await get(api.url, '/v1/cells', wrong)).status).toBe(401);
    // A bootstrap token no one issued, at the open registration route: refused, and not logged either.
    const bogus = 'csb_' + 'Zm9vYmFyYmF6cXV4'.repeat(3);
    const register = await fetch(`${api.url}/v1/agents/register`, { method: 'POST', headers: { authorization: `Bearer ${bogus}`, 'content-type': 'application/json' }, body: JSON.stringify({ cellId: 'nope', agentVersion: '0.2.0', capabilities: [], host: 'h', csr: (await createKeyAndCsr('nope')).csrPem }) });
    expect(register.status).toBe(401);

    await h.waitFor('the requests in the log', async () => (api.output().split('\n').filter((l) => l.includes('"request completed"')).length >= 8 ? true : undefined), 10_000);
    for (const secret of [OPERATOR, VIEWER, bogus]) expect(api.output()).not.toContain(secret);
    expect(api.output()).not.toContain('authorization');
  });

  it('nothing configured: the generated admin token works and is in its file only, never in the output', { timeout: 90_000 }, async () => {
    const api = await startApi({});
    const generated = readFileSync(join(api.dataDir, 'admin-token'), 'utf8').trim();
    expect((await get(api.url, '/v1/webhooks', generated)).status).toBe(200);
    await h.waitFor('the API saying where its token is', async () => (api.output().includes(`${api.dataDir}/admin-token`) ? true : undefined), 10_000);
    expect(api.output()).not.toContain(generated);
  });
});
