import { describe, expect, it } from 'vitest';
import { connect, kubeconfigEnvName } from '../../src/adapters/kubernetes/connection';

describe('resolving a cell’s kubeconfig', () => {
  it('reads a secretRef from the worker’s environment, by its name', () => {
    expect(kubeconfigEnvName('acme-prod')).toBe('CELLSHIFT_KUBECONFIG_ACME_PROD');
    const kubeconfig = ['apiVersion: v1', 'clusters: [{name: c, cluster: {server: "https://10.0.0.1:6443"}}]', 'users: [{name: u, user: {token: t}}]', 'contexts: [{name: prod, context: {cluster: c, user: u}}]', 'current-context: prod'].join('\n');
    expect(connect({ kind: 'kubernetes', kubeconfig: { secretRef: 'acme-prod' }, namespace: 'product' }, { CELLSHIFT_KUBECONFIG_ACME_PROD: kubeconfig }).server).toBe('https://10.0.0.1:6443');
  });

  it('fails without retry, naming what is missing, and never quotes the kubeconfig', () => {
    expect(() => connect({ kind: 'kubernetes', kubeconfig: { secretRef: 'gone' }, namespace: 'product' }, {})).toThrow('CELLSHIFT_KUBECONFIG_GONE is not set');
    const broken = 'apiVersion: v1\nusers:\n- name: a\n  user: {token: SECRET-TOKEN-123\n  : : :\n';
    let message = '';
    try {
      connect({ kind: 'kubernetes', kubeconfig: { secretRef: 'acme' }, namespace: 'product' }, { CELLSHIFT_KUBECONFIG_ACME: broken });
    } catch (err) {
      message = (err as Error).message;
      expect((err as { nonRetryable?: boolean }).nonRetryable).toBe(true);
    }
    expect(message).toContain('cannot load the kubeconfig');
    expect(message).not.toContain('SECRET-TOKEN-123');
  });

  it('refuses a context the kubeconfig does not have', () => {
    const kubeconfig = 'apiVersion: v1\nclusters: [{name: c, cluster: {server: "https://x"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: a, context: {cluster: c, user: u}}]\ncurrent-context: a\n';
    expect(() => connect({ kind: 'kubernetes', kubeconfig: { secretRef: 'k' }, context: 'b', namespace: 'n' }, { CELLSHIFT_KUBECONFIG_K: kubeconfig })).toThrow('context b is not in the kubeconfig');
  });
});
