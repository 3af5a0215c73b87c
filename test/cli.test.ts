// The `cellshift` command as an operator runs it: its own process (bin/cellshift.mjs) against a
// running cellshift, tables for people, `-o json` for scripts, `--watch` ending with the outcome and
// an exit code, the API's problem instead of a stack.
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_RELEASES } from '../scripts/seed/demo-fleet';
import { Harness, TOKENS } from './helpers/harness';

const BIN = join(import.meta.dirname, '..', 'bin', 'cellshift.mjs');
const dir = mkdtempSync(join(tmpdir(), 'cellshift-cli-'));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the cellshift CLI', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
    await h.registerCell('cli-1');
    await h.registerCell('cli-2');
  });
  afterAll(() => h?.stop());

  /** `cellshift …` as its own process, with the API and a token from the environment, as an operator's shell has them. */
  function cellshift(args: string[], as: keyof typeof TOKENS = 'operator', env: Record<string, string> = {}): Promise<Run> {
    return new Promise((resolve) => {
      execFile(process.execPath, [BIN, ...args], { env: { ...process.env, CELLSHIFT_API: h.baseUrl, CELLSHIFT_TOKEN: TOKENS[as], CELLSHIFT_CONFIG: join(dir, 'none.json'), ...env }, cwd: dir, timeout: 120_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  it('lists cells as a table and as JSON; gets one', { timeout: 120_000 }, async () => {
    const text = await cellshift(['cells', 'list']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.split('\n')[0]).toMatch(/^CELL\s+RING\s+VERSION\s+DESIRED\s+STATE\s+SLA\s+AGENT\s+UPDATE$/);
    expect(text.stdout).toMatch(/cli-1\s+saas\s+1\.1\.0/);
    const json = await cellshift(['-o', 'json', 'cells', 'list', '--ring', 'saas']);
    expect(JSON.parse(json.stdout).map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining(['cli-1', 'cli-2']));
    expect((await cellshift(['cells', 'get', 'cli-1'])).stdout).toContain('cli-1  ring saas  1.1.0  ready');
  });

  it('publishes a release from YAML with Helm output as its manifests, promotes it, and shows it', { timeout: 120_000 }, async () => {
    writeFileSync(join(dir, 'gitea.yaml'), 'version: 8.0.0\ncomponents:\n  gitea: gitea/gitea:1.22.3-rootless\nbreaking: false\nnotes: gitea from its Helm chart\n');
    // Helm's output carries the chart's inline config as a Secret with data: refused, naming it.
    const withSecret = await cellshift(['releases', 'publish', 'gitea.yaml', '--manifests', join(import.meta.dirname, 'fixtures', 'manifests', 'helm-gitea.yaml')], 'admin');
    expect(withSecret.code).toBe(2);
    expect(withSecret.stderr).toContain('Secret my-gitea-inline-config carries data');
    // Without it (the customer creates that Secret in the cell), the rest publishes.
    const helm = readFileSync(join(import.meta.dirname, 'fixtures', 'manifests', 'helm-gitea.yaml'), 'utf8')
      .split(/^---$/m)
      .filter((d) => !/^kind: Secret$/m.test(d))
      .join('---');
    writeFileSync(join(dir, 'gitea-rendered.yaml'), helm);
    const published = await cellshift(['releases', 'publish', 'gitea.yaml', '--manifests', join(dir, 'gitea-rendered.yaml')], 'admin');
    expect(published.code, published.stderr).toBe(0);
    const stored = (await h.http('GET', '/v1/releases/8.0.0?manifests=true')).body;
    expect(stored.manifests.length).toBe(helm.split(/^---$/m).filter((d) => /^kind:/m.test(d)).length);
    expect(stored.manifests.map((m: { kind: string }) => m.kind)).toContain('Deployment');
    expect((await cellshift(['releases', 'promote', '8.0.0', 'staging'], 'admin')).stdout).toContain('8.0.0 is visible to staging');
    expect((await cellshift(['releases', 'list'])).stdout).toMatch(/8\.0\.0\s+staging\s+registry/);
    // Not YAML, or documents that are not Kubernetes objects: refused before anything is sent.
    writeFileSync(join(dir, 'broken.yaml'), 'version: [1.0\n');
    const broken = await cellshift(['releases', 'publish', 'broken.yaml'], 'admin');
    expect(broken).toMatchObject({ code: 2, stderr: expect.stringContaining('broken.yaml is not valid YAML') });
  });

  it('--watch follows an update to its end and exits 0; one that fails is shown with its error and exits 1', { timeout: 120_000 }, async () => {
    const ok = await cellshift(['updates', 'start', 'cli-1', '1.2.0', '--now', '--watch']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('1.1.0 → 1.2.0');
    expect(ok.stdout).toContain('SUCCEEDED');
    for (const step of ['preflight', 'maintenanceOn', 'pull', 'apply', 'verify', 'maintenanceOff']) expect(ok.stdout).toMatch(new RegExp(`✓ ${step}`));

    await h.http('PUT', '/v1/sim/cells/cli-2/faults', { verify: { mode: 'fail' } });
    const failed = await cellshift(['updates', 'start', 'cli-2', '1.2.0', '--now', '--watch']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/ROLLED-BACK|FAILED/);
    expect(failed.stdout).toMatch(/✗ verify/);
    expect(failed.stdout).toContain('undone:');

    const json = await cellshift(['-o', 'json', 'updates', 'get', 'cli-1-u1']);
    expect(JSON.parse(json.stdout)).toMatchObject({ id: 'cli-1-u1', status: 'succeeded' });
  });

  it('prints the API\'s problem, not a stack, and exits 2; 3 when cellshift is not there', { timeout: 120_000 }, async () => {
    const unknown = await cellshift(['updates', 'start', 'cli-1', '9.9.9']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^cellshift: 422 ReleaseNotFound: release 9\.9\.9 is not in the catalog/);
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
    const bad = await cellshift(['rollouts', 'plan', '1.2.0', '--max-concurrent', '0']);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('body.waves.maxConcurrent') });
    const forbidden = await cellshift(['releases', 'veto', '1.2.0', '--reason', 'x'], 'viewer');
    expect(forbidden).toMatchObject({ code: 2, stderr: expect.stringContaining('403 Forbidden: this needs the admin role') });
    const away = await cellshift(['cells', 'list'], 'operator', { CELLSHIFT_API: 'http://127.0.0.1:9' });
    expect(away).toMatchObject({ code: 3, stderr: expect.stringContaining('cannot reach cellshift at http://127.0.0.1:9') });
    expect((await cellshift(['no-such-command'])).code).toBe(2);
  });

  it('plans and runs a rollout, following it ring by ring', { timeout: 120_000 }, async () => {
    // A release of its own: rollouts are one per version on the test server every file shares.
    await h.catalog.publish({ ...DEMO_RELEASES.find((r) => r.version === '1.2.0')!, version: '1.2.8' }, { rings: ['staging', 'saas', 'dedicated'] });
    const plan = await cellshift(['rollouts', 'plan', '1.2.8', '--rings', 'saas', '--max-concurrent', '2', '--now']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/saas\s+\S+ → \S+/);
    const rollout = await cellshift(['rollouts', 'start', '1.2.8', '--rings', 'saas', '--max-concurrent', '2', '--max-failures', '5', '--now', '--watch']);
    expect(rollout.stdout).toContain('rollout 1.2.8');
    expect(rollout.stdout).toMatch(/SUCCEEDED|HALTED/);
    expect(rollout.code).toBe(rollout.stdout.includes('SUCCEEDED') ? 0 : 1);
  });

  it('builds a bundle and uploads it with progress', { timeout: 120_000 }, async () => {
    writeFileSync(join(dir, 'bundled.json'), JSON.stringify({ version: '8.1.0', components: { app: 'example.com/app:8.1.0' }, breaking: false }));
    const built = await cellshift(['bundles', 'build', 'bundled.json', '--out', 'b.tar.gz'], 'admin');
    expect(built.code, built.stderr).toBe(0);
    const uploaded = await cellshift(['bundles', 'upload', 'b.tar.gz'], 'admin');
    expect(uploaded.code, uploaded.stderr).toBe(0);
    expect(uploaded.stderr).toContain('uploading b.tar.gz 100%');
    expect((await h.http('GET', '/v1/releases/8.1.0')).body.source).toBe('bundle');
  });

  it('debug access: asked by the operator, approved by the customer, the token opened with the key', { timeout: 120_000 }, async () => {
    await h.registerCell('dbg-cli-a');
    const { publicKey, privateKey } = generateKeyPairSync('x25519');
    writeFileSync(join(dir, 'key.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(dir, 'key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const asked = await cellshift(['debug', 'request', 'dbg-cli-a', '--namespace', 'workspaces', '--minutes', '30', '--reason', 'pods hang', '--public-key', 'key.pub']);
    expect(asked.stdout).toContain('debug access dbg-cli-a/1 asked');
    expect((await cellshift(['debug', 'decide', 'dbg-cli-a', '1', 'approve', '--reason', 'ok'])).code).toBe(2); // an operator cannot
    expect((await cellshift(['debug', 'decide', 'dbg-cli-a', '1', 'approve', '--reason', 'ok'], 'customer')).code).toBe(0);
    const watched = await cellshift(['debug', 'get', 'dbg-cli-a', '1', '--watch'], 'customer');
    expect(watched.stdout).toContain('ACTIVE');
    const token = (await cellshift(['debug', 'token', 'dbg-cli-a', '1', '--key', 'key.pem'])).stdout.trim();
    expect(await h.simulated.debugTokenCan('dbg-cli-a', token, 'workspaces', 'get')).toBe(true);
    expect((await cellshift(['debug', 'revoke', 'dbg-cli-a', '1'], 'customer')).code).toBe(0);
  });

  it('support bundles: the customer sets the policy, the operator asks, the customer approves; get, list, download, and analyze the file', { timeout: 120_000 }, async () => {
    await h.registerCell('sb-cli');
    await h.http('PUT', '/v1/sim/cells/sb-cli/faults', { health: { mode: 'fail' } }); // a crash loop for the findings
    // Only the cell's customer sets what is allowed: an operator is refused with the API's problem.
    const byOperator = await cellshift(['support-bundle', 'policy', 'sb-cli', '--requests', 'allow']);
    expect(byOperator.code).toBe(2);
    expect(byOperator.stderr).toContain('403 Forbidden');
    const policy = await cellshift(['support-bundle', 'policy', 'sb-cli', '--requests', 'ask', '--retention-days', '3'], 'bundleCustomer');
    expect(policy.stdout).toContain('requests: ask\non update failure: never\nretention: 3 days');

    const asked = await cellshift(['-o', 'json', 'support-bundle', 'collect', 'sb-cli', '--reason', 'builds hang']);
    expect(JSON.parse(asked.stdout)).toMatchObject({ id: 'sb-cli/1', status: 'waiting-consent', requestedBy: 'oscar-operator' });
    const approved = await cellshift(['support-bundle', 'decide', 'sb-cli', '1', 'approve'], 'bundleCustomer');
    expect(approved.code, approved.stderr).toBe(0);
    await h.waitFor('collected', async () => (await cellshift(['-o', 'json', 'support-bundle', 'get', 'sb-cli', '1'])).stdout.includes('"status": "collected"') || undefined);
    const got = await cellshift(['support-bundle', 'get', 'sb-cli', '1']);
    expect(got.stdout).toMatch(/^support bundle sb-cli\/1: collected, operator by oscar-operator/);
    expect(got.stdout).toMatch(/CRITICAL\s+\S+ is crash-looping/);
    expect((await cellshift(['support-bundle', 'list', 'sb-cli'])).stdout).toMatch(/^N\s+STATUS.*\n1\s+collected\s+operator\s+oscar-operator/);

    const saved = await cellshift(['support-bundle', 'download', 'sb-cli', '1'], 'bundleCustomer');
    expect(saved.stdout.trim()).toBe(join(dir, 'support-bundle-sb-cli-1.tar.gz'));
    // Offline, as an air-gapped customer's bundle arrives: the same findings from the file alone.
    const offline = await cellshift(['support-bundle', 'analyze', 'support-bundle-sb-cli-1.tar.gz'], 'viewer', { CELLSHIFT_API: 'http://127.0.0.1:9' });
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stdout).toMatch(/CRITICAL\s+\S+ is crash-looping/);
    const notABundle = await cellshift(['support-bundle', 'analyze', 'gitea.yaml']);
    expect(notABundle.code).not.toBe(0);
    expect(notABundle.stderr).not.toMatch(/\n\s+at /); // a message, not a stack
  });

  it("the change contract: an operator's blackout and freeze, the customer's postponement within the contract (refused past it, naming the rule), what is upcoming", { timeout: 120_000 }, async () => {
    await h.registerCell('cr-cli', { contract: { postponement: { maxDays: 7 } } });
    const day = 86_400_000;
    const iso = (ms: number) => new Date(Date.now() + ms).toISOString();
    const blackout = await cellshift(['-o', 'json', 'contract', 'blackout', 'cr-cli', '--from', iso(day), '--until', iso(2 * day), '--scope', 'breaking', '--reason', 'quarter close']);
    expect(blackout.code, blackout.stderr).toBe(0);
    expect(JSON.parse(blackout.stdout)).toMatchObject({ cellId: 'cr-cli', scope: 'breaking', setBy: 'oscar-operator' });
    const freeze = await cellshift(['contract', 'freeze', '--from', iso(3 * day), '--until', iso(4 * day), '--reason', 'holiday freeze']);
    expect(freeze.stdout).toMatch(/^freeze [0-9a-f-]{36}: /);
    expect((await cellshift(['contract', 'blackouts', 'cr-cli'])).stdout).toMatch(/\(fleet\)\s+\S+\s+\S+\s+all-but-emergency\s+oscar-operator\s+holiday freeze/);

    const tooLate = await cellshift(['contract', 'postpone', 'cr-cli', '--until', iso(10 * day), '--reason', 'audit'], 'contractCustomer');
    expect(tooLate.code).toBe(2);
    expect(tooLate.stderr).toContain('allows postponing up to 7 days');
    const postponed = await cellshift(['contract', 'postpone', 'cr-cli', '--until', iso(5 * day), '--reason', 'audit'], 'contractCustomer');
    expect(postponed.code, postponed.stderr).toBe(0);
    expect(postponed.stdout).toContain('postponed by cody-customer');
    const upcoming = await cellshift(['contract', 'upcoming', 'cr-cli'], 'contractCustomer');
    expect(upcoming.stdout).toContain('cr-cli: nothing upcoming');
    expect(upcoming.stdout).toContain('postponed until');
    expect(upcoming.stdout).toContain('holiday freeze');
    // The freeze ended by the operator; a customer cannot.
    const id = freeze.stdout.split(' ')[1]!.replace(':', '');
    expect((await cellshift(['contract', 'end-freeze', id], 'contractCustomer')).code).toBe(2);
    expect((await cellshift(['contract', 'end-freeze', id])).code).toBe(0);
    expect((await cellshift(['contract', 'freezes'])).stdout).not.toContain('holiday freeze');
  });
});
