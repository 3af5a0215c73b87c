// The customer's consent to support bundles is verified in the cell: a cell whose agent pins its
// customer's key collects only under a policy the customer signed (cellshift support-bundle policy
// --key), and on a policy that asks, only on the customer's signed approval of that very request.
// A policy or approval the control plane merely records, or alters, collects nothing: the bundle
// fails saying why, and nothing is stored.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbSupportBundleBlobs } from '../src/adapters/bundles/support-bundle-blobs';
import { SupportBundles } from '../src/adapters/db/support-bundles';
import { generateReleaseKey, signRelease } from '../src/crypto/release-signature';
import { bundleApprovalDigest } from '../src/crypto/support-bundle-consent';
import { everyDay, Harness, TOKENS } from './helpers/harness';

const ROOT = join(import.meta.dirname, '..');
const CELL = 'sb-consent';

describe("support bundles collected in the cell only under its customer's signed consent", () => {
  let h: Harness;
  let agent: ChildProcess;
  const dir = mkdtempSync(join(tmpdir(), 'cellshift-bundle-consent-'));
  const customer = generateReleaseKey();

  /** `cellshift …` as the cell's customer runs it. */
  const cli = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(ROOT, 'bin', 'cellshift.mjs'), ...args], { env: { ...process.env, CELLSHIFT_API: h.baseUrl, CELLSHIFT_TOKEN: TOKENS.consentCustomer }, cwd: dir });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });
  const ask = async () => {
    const asked = await h.http('POST', `/v1/cells/${CELL}/support-bundles`, { reason: 'builds hang' }, 'operator');
    expect(asked.status, JSON.stringify(asked.body)).toBe(202);
    return asked.body as { id: string; n: number; status: string };
  };
  const ended = (n: number) =>
    h.waitFor(`bundle ${n} ended`, async () => {
      const view = (await h.http('GET', `/v1/cells/${CELL}/support-bundles/${n}`, undefined, 'operator')).body;
      return ['collected', 'failed', 'refused', 'not-allowed'].includes(view.status) ? view : undefined;
    }, 60_000);
  const stored = (id: string) => new DbSupportBundleBlobs(h.db).get(id);

  beforeAll(async () => {
    writeFileSync(join(dir, 'customer.key'), customer.privateKeyPem, { mode: 0o600 });
    writeFileSync(join(dir, 'customer.pub'), customer.publicKeyPem);
    h = await Harness.start();
    expect((await h.http('POST', '/v1/cells', { id: CELL, ring: 'dedicated', connection: 'agent', maintenanceWindow: everyDay('02:00', 120), cluster: { kind: 'simulated', initialVersion: '1.1.0' } })).status).toBe(201);
    // The customer's bootstrap pins the customer's own key in the cell.
    agent = await h.spawnAgent(CELL, [], undefined, { CELLSHIFT_CUSTOMER_KEYS_FILE: join(dir, 'customer.pub') });
    await h.waitFor('the cell ready', async () => ((await h.http('GET', `/v1/cells/${CELL}`)).body.state === 'ready' ? true : undefined), 60_000);
  });
  afterAll(async () => {
    if (agent) await h.kill(agent);
    await h?.stop();
  });

  it('a policy the customer did not sign collects nothing, though the control plane allows the request', async () => {
    expect((await h.http('PUT', `/v1/cells/${CELL}/support-bundle-policy`, { requests: 'allow', onUpdateFailure: 'never' }, 'consentCustomer')).status).toBe(200);
    const asked = await ask();
    const bundle = await ended(asked.n);
    expect(bundle.status).toBe('failed');
    expect(bundle.error).toContain("the cell collects no support bundle its customer did not sign for: the customer's policy: it is not signed");
    expect(await stored(asked.id)).toBeUndefined();
  });

  it("on a signed policy that asks, only the customer's signed approval of that very request collects", async () => {
    const signed = await cli(['support-bundle', 'policy', CELL, '--requests', 'ask', '--key', 'customer.key']);
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stdout).toContain('signed: yes');

    // Approved through the API alone (what a control plane could record by itself): refused in the cell.
    const first = await ask();
    expect((await h.http('POST', `/v1/cells/${CELL}/support-bundles/${first.n}/decide`, { decision: 'approve' }, 'consentCustomer')).status).toBe(200);
    const unsigned = await ended(first.n);
    expect(unsigned.status).toBe('failed');
    expect(unsigned.error).toContain(`the customer's approval of request ${first.n}: it is not signed`);
    expect(await stored(first.id)).toBeUndefined();

    // An approval signed for another request does not pass for this one.
    const second = await ask();
    const third = await ask();
    const misplaced = await cli(['-o', 'json', 'support-bundle', 'decide', CELL, String(third.n), 'approve', '--key', 'customer.key']);
    expect(misplaced.code, misplaced.stderr).toBe(0);
    const forThird = signRelease(bundleApprovalDigest({ cellId: CELL, n: third.n }), customer.privateKeyPem, 'support-bundle-consent');
    const borrowed = await h.http('POST', `/v1/cells/${CELL}/support-bundles/${second.n}/decide`, { decision: 'approve', signature: forThird }, 'consentCustomer');
    expect(borrowed.status).toBe(200);
    const wrong = await ended(second.n);
    expect(wrong.status).toBe('failed');
    expect(wrong.error).toContain(`the customer's approval of request ${second.n}: its signature by key ${customer.keyId} does not verify`);

    // The request the customer signed for is collected, in the cell.
    const good = await ended(third.n);
    expect(good.status, good.error).toBe('collected');
    expect(good.manifest.collectedBy).toMatch(new RegExp(`^cell/${CELL}/`));
    expect(await stored(third.id)).toBeDefined();
  });

  it('a policy the control plane altered after the customer signed it collects nothing', async () => {
    // The customer signs "ask" with a redaction of their own; the control plane's database is then
    // changed to "allow", and the redaction dropped, keeping the customer's signature.
    const store = new SupportBundles(h.db);
    const redactions = [{ name: 'ticket', pattern: 'ACME-[0-9]+' }];
    expect((await h.http('PUT', `/v1/cells/${CELL}/support-bundle-policy`, { requests: 'ask', onUpdateFailure: 'never', redactions }, 'consentCustomer')).status).toBe(200);
    expect((await cli(['support-bundle', 'policy', CELL, '--key', 'customer.key'])).stdout).toContain('signed: yes');
    const { setBy: _b, setAt: _a, ...policy } = await store.policy(CELL);
    expect(policy.redactions).toEqual(redactions);
    await store.setPolicy(CELL, { ...policy, requests: 'allow', redactions: [] }, 'mallory');

    const asked = await ask();
    const bundle = await ended(asked.n);
    expect(bundle.status).toBe('failed');
    expect(bundle.error).toContain(`the customer's policy: its signature by key ${customer.keyId} does not verify`);
    expect(await stored(asked.id)).toBeUndefined();
  });
});
