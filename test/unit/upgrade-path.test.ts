import { describe, expect, it } from 'vitest';
import type { Release } from '../../src/domain/release';
import { checkDirectUpgrade, planUpgrade, releasesOnPathTo } from '../../src/domain/upgrade-path';

const r = (version: string, extra: Partial<Release> = {}): Release => ({ version, components: { server: `server:${version}` }, breaking: false, ...extra });
const catalog = [r('1.2.0'), r('1.3.0'), r('1.4.0', { requiredStepStones: ['1.3.0'] }), r('2.0.0', { minFromVersion: '1.4.0' })];

describe('upgrade paths', () => {
  it('goes through a required stepping stone', () => {
    expect(planUpgrade('1.2.0', '1.4.0', catalog)).toEqual({ ok: true, plan: ['1.3.0', '1.4.0'] });
    expect(planUpgrade('1.3.0', '1.4.0', catalog)).toEqual({ ok: true, plan: ['1.4.0'] });
  });

  it('chains stepping stones and minimum versions', () => {
    expect(planUpgrade('1.2.0', '2.0.0', catalog)).toEqual({
      ok: false,
      reason: 'release 2.0.0 requires at least 1.4.0 installed (found 1.2.0)',
      missing: '1.4.0',
    });
  });

  it('names a stepping stone missing from the catalog', () => {
    const result = planUpgrade('1.2.0', '1.4.0', [r('1.2.0'), r('1.4.0', { requiredStepStones: ['1.3.0'] })]);
    expect(result).toMatchObject({ ok: false, missing: '1.3.0' });
  });

  it("hands a rollout's cells only the releases a plan to the target can use, and they plan the same from them", () => {
    const chained = [...catalog, r('1.5.0', { requiredStepStones: ['1.4.0'] }), r('1.6.0')];
    expect(releasesOnPathTo('1.5.0', chained).map((x) => x.version).sort()).toEqual(['1.3.0', '1.4.0', '1.5.0']);
    expect(releasesOnPathTo('1.6.0', chained).map((x) => x.version)).toEqual(['1.6.0']);
    for (const from of ['1.2.0', '1.3.0', '1.4.0']) {
      expect(planUpgrade(from, '1.5.0', releasesOnPathTo('1.5.0', chained))).toEqual(planUpgrade(from, '1.5.0', chained));
    }
    // A stone missing from the catalog is still named missing.
    const gap = [r('1.2.0'), r('1.4.0', { requiredStepStones: ['1.3.0'] })];
    expect(planUpgrade('1.2.0', '1.4.0', releasesOnPathTo('1.4.0', gap))).toMatchObject({ ok: false, missing: '1.3.0' });
    expect(releasesOnPathTo('9.9.9', chained)).toEqual([]);
  });

  it('refuses a direct hop that skips a stepping stone, naming it', () => {
    expect(checkDirectUpgrade('1.2.0', '1.4.0', catalog)).toMatchObject({ ok: false, missing: '1.3.0' });
    expect(checkDirectUpgrade('1.3.0', '1.4.0', catalog)).toEqual({ ok: true, plan: ['1.4.0'] });
  });

  it('refuses unknown releases, reinstalls and downgrades; a first install has no constraint', () => {
    expect(planUpgrade('1.2.0', '9.9.9', catalog)).toMatchObject({ ok: false, missing: '9.9.9' });
    expect(planUpgrade('1.3.0', '1.3.0', catalog)).toMatchObject({ ok: false });
    expect(planUpgrade('1.4.0', '1.3.0', catalog)).toMatchObject({ ok: false });
    expect(planUpgrade(undefined, '2.0.0', catalog)).toEqual({ ok: true, plan: ['2.0.0'] });
  });
});
