import { describe, expect, it } from 'vitest';
import { compareVersions, isVersion, sortVersions } from '../../src/domain/version';

describe('versions', () => {
  it('orders semver and calendar versions numerically, pre-releases first', () => {
    expect(sortVersions(['1.10.0', '1.2.0', '1.2.0-rc.1', '1.9.3', '2026.1.0', '2.0'])).toEqual([
      '1.2.0-rc.1',
      '1.2.0',
      '1.9.3',
      '1.10.0',
      '2.0',
      '2026.1.0',
    ]);
    expect(compareVersions('1.2', '1.2.0')).toBe(0);
  });

  it('recognises what is a version', () => {
    expect(isVersion('1.4.0')).toBe(true);
    expect(isVersion('2026.11.2')).toBe(true);
    expect(isVersion('v1.4')).toBe(false);
    expect(isVersion('1.4.0; rm -rf')).toBe(false);
  });
});
