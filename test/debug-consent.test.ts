// The customer's consent is verified in the cell: a cell whose agent pins its customer's key
// grants debug access only on an approval the customer signed (cellshift debug decide --key) for
// that very request. An approval the control plane merely records, or one signed for another
// request, grants nothing, and the refusal is recorded.
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateReleaseKey } from '../src/crypto/release-signature';
import { everyDay, Harness, TOKENS } from './helpers/harness';

const ROOT = join(import.meta.dirname, '..');

function cli(args: string[], api: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'cellshift.mjs'), ...args], { env: { ...process.env, CELLSHIFT_API: api, CELLSHIFT_TOKEN: TOKENS.consentCustomer } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe("debug access granted in the cell only on its customer's signed approval", () => {
  let h: Harness;
  let agent: ChildProcess;
  const dir = mkdtempSync(join(tmpdir(), 'cellshift-customer-'));
  const customer = generateReleaseKey();
  const requester = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();

  beforeAll(async () => {
    writeFileSync(join(dir, 'customer.key'), customer.privateKeyPem, { mode: 0o600 });
    writeFileSync(join(dir, 'customer.pub'), customer.publicKeyPem);
    h = await Harness.start();
    expect((await h.http('POST', '/v1/cells', { id: 'consent-agent', ring: 'dedicated', connection: 'agent', maintenanceWindow: everyDay('02:00', 120), cluster: { kind: 'simulated', initialVersion: '1.1.0' } })).status).toBe(201);
    // The customer's bootstrap pins the customer's own key in the cell.
    agent = await h.spawnAgent('consent-agent', [], undefined, { CELLSHIFT_CUSTOMER_KEYS_FILE: join(dir, 'customer.pub') });
    await h.waitFor('the cell ready', async () => ((await h.http('GET', '/v1/cells/consent-agent')).body.state === 'ready' ? true : undefined), 60_000);
  });
  afterAll(async () => {
    if (agent) await h.kill(agent);
    await h?.stop();
  });

  const ask = async () => {
    const asked = await h.http('POST', '/v1/cells/consent-agent/debug-access', { scope: { namespace: 'workspaces', role: 'view' }, durationMinutes: 5, reason: 'pods crash', publicKey: requester }, 'operator');
    expect(asked.status, JSON.stringify(asked.body)).toBe(202);
    return asked.body.n as number;
  };
  const settled = (n: number) =>
    h.waitFor(`request ${n} settled`, async () => {
      const view = (await h.http('GET', `/v1/cells/consent-agent/debug-access/${n}`, undefined, 'operator')).body;
      return view.status === 'active' || view.status === 'ended' ? view : undefined;
    }, 60_000);
  const grants = async () => Object.keys((await h.simulated.read('consent-agent')).debugGrants ?? {});

  it('an approval without the customer signature is refused by the cell, and recorded', async () => {
    const n = await ask();
    const decided = await h.http('POST', `/v1/cells/consent-agent/debug-access/${n}/decide`, { decision: 'approve', reason: 'go' }, 'consentCustomer');
    expect(decided.status).toBe(200);
    const view = await settled(n);
    expect(view).toMatchObject({ status: 'ended', end: 'grant-failed' });
    expect(view.events.map((e: any) => e.reason ?? '').join('\n')).toContain('the cell grants no debug access its customer did not approve');
    expect(view.sealedToken).toBeUndefined();
    expect(await grants()).toEqual([]);
  });

  it("the customer's signed approval (the CLI, --key) grants it; a signature for another request does not", async () => {
    const n = await ask();
    const approved = await cli(['debug', 'decide', 'consent-agent', String(n), 'approve', '--reason', 'with Carla on the call', '--key', join(dir, 'customer.key')], h.baseUrl);
    expect(approved.code, approved.stderr).toBe(0);
    const view = await settled(n);
    expect(view.status).toBe('active');
    expect(view.sealedToken).toBeDefined();
    expect(await grants()).toContain(String(n));

    // The same signature, presented for the next request: its terms differ (its number), so it is refused.
    const next = await ask();
    const signature = view.decision.signature;
    expect((await h.http('POST', `/v1/cells/consent-agent/debug-access/${next}/decide`, { decision: 'approve', reason: 'again', signature }, 'consentCustomer')).status).toBe(200);
    const replayed = await settled(next);
    expect(replayed).toMatchObject({ status: 'ended', end: 'grant-failed' });
    expect(replayed.events.map((e: any) => e.reason ?? '').join('\n')).toContain('does not verify');
    expect(await grants()).not.toContain(String(next));
  });
});
