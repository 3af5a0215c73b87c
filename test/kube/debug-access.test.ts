// Emergency debug access to a real Kubernetes cell: the grant's ServiceAccount, Role, RoleBinding
// and bound Secret in the test bed, its token checked with `kubectl auth can-i` as the requester
// would use it, and everything gone at expiry or on revocation.
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureKubeBinaries } from '../../scripts/lib/kube-binaries';
import { connect, type KubeClients } from '../../src/adapters/kubernetes/connection';
import { open } from '../../src/crypto/seal';
import { Harness } from '../helpers/harness';

const run = promisify(execFile);

describe('debug access to a Kubernetes cell', () => {
  let h: Harness;
  let kube: KubeClients;
  const kubeconfigPath = inject('kubeconfigPath');
  const dir = mkdtempSync(join(tmpdir(), 'cellshift-debug-'));
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const pem = { public: publicKey.export({ type: 'spki', format: 'pem' }).toString(), private: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
  const tokens: string[] = [];

  beforeAll(async () => {
    h = await Harness.start({ releases: [] });
    kube = connect({ kind: 'kubernetes', kubeconfig: { path: kubeconfigPath }, namespace: 'default' });
    const res = await h.http('POST', '/v1/cells', { id: 'dbg-kube-a', ring: 'saas', cluster: { kind: 'kubernetes', kubeconfig: { path: kubeconfigPath }, namespace: 'dbg-kube-a' }, maintenanceWindow: { days: ['sun'], start: '02:00', durationMinutes: 60, timezone: 'UTC' } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    await h.waitFor('dbg-kube-a registered', async () => ((await h.http('GET', '/v1/cells/dbg-kube-a')).body?.state === 'ready' ? true : undefined));
  });
  afterAll(() => h?.stop());

  /** A kubeconfig with only the token: what the requester builds from the sealed token. */
  function tokenKubeconfig(token: string): string {
    const admin = new KubeConfig();
    admin.loadFromFile(kubeconfigPath);
    const cluster = admin.getCurrentCluster()!;
    const file = join(dir, `kubeconfig-${tokens.length}`);
    const ca = cluster.caFile ? `certificate-authority: ${cluster.caFile}` : `certificate-authority-data: ${cluster.caData}`;
    writeFileSync(file, `apiVersion: v1\nkind: Config\nclusters:\n- name: cell\n  cluster:\n    server: ${cluster.server}\n    ${ca}\nusers:\n- name: debug\n  user:\n    token: ${token}\ncontexts:\n- name: debug\n  context: {cluster: cell, user: debug}\ncurrent-context: debug\n`, { mode: 0o600 });
    return file;
  }

  async function canI(kubeconfig: string, verb: string, resource: string, namespace: string): Promise<boolean> {
    const answer = await run(ensureKubeBinaries().kubectl, ['--kubeconfig', kubeconfig, 'auth', 'can-i', verb, resource, '-n', namespace]).then(
      (r) => r.stdout.trim(),
      (err: { stdout?: string }) => (err.stdout ?? '').trim(),
    );
    return answer === 'yes';
  }

  async function grant(role: 'view' | 'edit', durationMinutes: number) {
    const asked = await h.http('POST', '/v1/cells/dbg-kube-a/debug-access', { scope: { namespace: 'dbg-kube-a', role }, durationMinutes, reason: 'a workspace hangs on resize', publicKey: pem.public }, 'operator');
    expect(asked.status, JSON.stringify(asked.body)).toBe(202);
    const { n } = asked.body;
    expect((await h.http('POST', `/v1/cells/dbg-kube-a/debug-access/${n}/decide`, { decision: 'approve', reason: 'ok, on the call' }, 'customer')).status).toBe(200);
    const active = await until(n, 'active');
    const token = open(active.sealedToken, pem.private);
    tokens.push(token);
    return { n, active, kubeconfig: tokenKubeconfig(token) };
  }

  const until = (n: number, status: string, timeoutMs = 90_000) =>
    h.waitFor(`debug access ${n} ${status}`, async () => {
      const res = await h.http('GET', `/v1/cells/dbg-kube-a/debug-access/${n}`, undefined, 'customer');
      return res.body.status === status ? res.body : undefined;
    }, timeoutMs);

  const objects = async (n: number) => {
    const name = `cellshift-debug-${n}`;
    const read = async (call: () => Promise<unknown>) => call().then(() => true, () => false);
    return {
      serviceAccount: await read(() => kube.core.readNamespacedServiceAccount({ name, namespace: 'dbg-kube-a' })),
      secret: await read(() => kube.core.readNamespacedSecret({ name, namespace: 'dbg-kube-a' })),
      role: await read(() => kube.objects.read({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace: 'dbg-kube-a' } })),
      roleBinding: await read(() => kube.objects.read({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace: 'dbg-kube-a' } })),
    };
  };

  it('approved: yes in its scope, no outside it; at expiry no, and its objects gone', { timeout: 150_000 }, async () => {
    const { n, active, kubeconfig } = await grant('view', 0.5);
    expect(await objects(n)).toEqual({ serviceAccount: true, secret: true, role: true, roleBinding: true });
    const account = await kube.core.readNamespacedServiceAccount({ name: `cellshift-debug-${n}`, namespace: 'dbg-kube-a' });
    expect(account.metadata?.labels?.['cellshift.io/debug-grant']).toBe(String(n));
    expect(account.metadata?.annotations?.['cellshift.io/debug-expires-at']).toBe(active.expiresAt);

    expect(await canI(kubeconfig, 'list', 'pods', 'dbg-kube-a')).toBe(true);
    expect(await canI(kubeconfig, 'get', 'pods/log', 'dbg-kube-a')).toBe(true);
    expect(await canI(kubeconfig, 'delete', 'pods', 'dbg-kube-a')).toBe(false); // view
    expect(await canI(kubeconfig, 'get', 'secrets', 'dbg-kube-a')).toBe(false); // never Secrets
    expect(await canI(kubeconfig, 'list', 'pods', 'default')).toBe(false); // another namespace

    expect(await until(n, 'ended')).toMatchObject({ end: 'expired' });
    expect(await canI(kubeconfig, 'list', 'pods', 'dbg-kube-a')).toBe(false);
    expect(await objects(n)).toEqual({ serviceAccount: false, secret: false, role: false, roleBinding: false });
  });

  it('revoked early by an operator: the binding, account, Secret and the pods of the grant go', { timeout: 150_000 }, async () => {
    const { n, kubeconfig } = await grant('edit', 60);
    expect(await canI(kubeconfig, 'create', 'pods/exec', 'dbg-kube-a')).toBe(true);
    // The engineer starts a debug pod, labelled with the grant as docs/debug-access.md says.
    await run(ensureKubeBinaries().kubectl, ['--kubeconfig', kubeconfig, '-n', 'dbg-kube-a', 'run', 'debug-shell', '--image=example.com/ok:1', `--labels=cellshift.io/debug-grant=${n}`]);
    expect((await kube.core.readNamespacedPod({ name: 'debug-shell', namespace: 'dbg-kube-a' })).metadata?.name).toBe('debug-shell');

    expect((await h.http('POST', `/v1/cells/dbg-kube-a/debug-access/${n}/revoke`, { reason: 'done' }, 'operator')).status).toBe(200);
    expect(await until(n, 'ended')).toMatchObject({ end: 'revoked' });
    expect(await canI(kubeconfig, 'list', 'pods', 'dbg-kube-a')).toBe(false);
    expect(await objects(n)).toEqual({ serviceAccount: false, secret: false, role: false, roleBinding: false });
    const pod = await kube.core.readNamespacedPod({ name: 'debug-shell', namespace: 'dbg-kube-a' }).catch(() => undefined);
    expect(pod === undefined || pod.metadata?.deletionTimestamp !== undefined).toBe(true);

    // And no history holds a token in clear.
    const histories: string[] = [];
    for await (const execution of h.client.workflow.list({ query: `WorkflowType = 'debugAccess'` })) {
      histories.push(JSON.stringify(await h.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory()));
    }
    expect(histories.length).toBe(2);
    for (const token of tokens) expect(histories.join('\n')).not.toContain(token);
  });
});
