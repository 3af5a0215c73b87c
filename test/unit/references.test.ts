import { describe, expect, it } from 'vitest';
import { IMAGE_REFERENCE, imageReferenceProblem, LABEL_VALUE, VERSION } from '../../src/domain/references';

describe('references the catalog accepts', () => {
  it('takes image references as registries publish them', () => {
    for (const ok of [
      'nginx',
      'nginx:1.27.3',
      'library/nginx:1.27.3',
      'docker.io/bitnami/valkey:8.0.1-debian-12-r0',
      'gitea/gitea:1.22.3-rootless',
      'registry.k8s.io/pause:3.10',
      'localhost:5000/app:dev',
      'my-registry.example.com:443/team/app_x/web__api:v1',
      `ghcr.io/acme/app@sha256:${'a'.repeat(64)}`,
      `ghcr.io/acme/app:1.0@sha256:${'0123456789abcdef'.repeat(4)}`,
    ]) {
      expect(imageReferenceProblem(ok), ok).toBeUndefined();
    }
    for (const bad of ['', 'Nginx:1', 'nginx:', 'nginx:-x', 'nginx@sha256:abc', `nginx@md5:${'a'.repeat(64)}`, 'http://x/y', 'a//b', 'a b', 'nginx:1.0:2', '-nginx', 'nginx/', `x/${'a'.repeat(260)}`]) {
      expect(imageReferenceProblem(bad), bad).toBeDefined();
    }
    expect(new RegExp(IMAGE_REFERENCE).test('example.com/app:1.2.0')).toBe(true);
  });

  it('takes component names that are Kubernetes label values', () => {
    const label = new RegExp(LABEL_VALUE);
    for (const ok of ['web', 'api-gateway', 'Web_UI', 'a', 'x.y', 'a'.repeat(63)]) expect(label.test(ok), ok).toBe(true);
    for (const bad of ['', '-web', 'web-', 'we b', 'web/ui', 'a'.repeat(64), 'wéb']) expect(label.test(bad), bad).toBe(false);
  });

  it('takes semantic and calendar versions', () => {
    const version = new RegExp(VERSION);
    for (const ok of ['1', '1.2', '1.2.3', '1.2.3-rc.1', '2026.12.1', '2026.01', '1.2.3.4', '1.0.0-alpha-2']) expect(version.test(ok), ok).toBe(true);
    for (const bad of ['v1.2.3', '1.2.3+build.5', '1..2', '1.2.3-', '1.2.3-rc..1', '1.2.3.4.5', 'latest']) expect(version.test(bad), bad).toBe(false);
  });
});
