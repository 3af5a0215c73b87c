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

  it('orders pre-releases by semver, not by their text', () => {
    expect(compareVersions('1.0.0-rc.10', '1.0.0-rc.9')).toBe(1);
    // semver.org's own example of precedence
    const precedence = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'];
    expect(sortVersions([...precedence].reverse())).toEqual(precedence);
    // Calendar versions keep their rule (missing parts are 0, four parts allowed), their pre-releases semver's.
    expect(sortVersions(['2026.1.10', '2026.1.9', '2026.1', '2026.1.9.1', '2026.1.10-rc.10', '2026.1.10-rc.9'])).toEqual([
      '2026.1',
      '2026.1.9',
      '2026.1.9.1',
      '2026.1.10-rc.9',
      '2026.1.10-rc.10',
      '2026.1.10',
    ]);
    expect(compareVersions('2026.11-rc.10', '2026.11-rc.9')).toBe(1);
    expect(compareVersions('2026.01.05', '2026.1.5')).toBe(0);
  });

  it('recognises what is a version', () => {
    expect(isVersion('1.4.0')).toBe(true);
    expect(isVersion('2026.11.2')).toBe(true);
    expect(isVersion('v1.4')).toBe(false);
    expect(isVersion('1.4.0; rm -rf')).toBe(false);
  });
});
