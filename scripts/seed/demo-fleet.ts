import { createHash } from 'node:crypto';
import type { Release } from '../../src/domain/release';

// The demo fleet `npm start` seeds: a release line with a breaking release behind a required
// stepping stone, and cells over the three rings.

const COMPONENTS = ['server', 'dashboard', 'ws-manager', 'proxy'];

export function demoImage(component: string, version: string): string {
  const digest = createHash('sha256').update(`${component}:${version}`).digest('hex');
  return `registry.cellshift.dev/product/${component}:${version}@sha256:${digest}`;
}

/**
 * Every demo release takes a domain per cell (docs/configuration-per-cell.md): its settings
 * ConfigMap refers to it, and each cell renders it with its own value (the seed sets one per cell).
 */
const DOMAIN: Release['config'] = [{ name: 'domain', type: 'string', setBy: 'operator', default: 'product.localhost', description: "the cell's own domain: workspaces are served under it" }];

function release(version: string, extra: Partial<Release> = {}): Release {
  return {
    version,
    components: Object.fromEntries(COMPONENTS.map((c) => [c, demoImage(c, version)])),
    breaking: false,
    config: DOMAIN,
    manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'product-settings', labels: { 'app.kubernetes.io/version': version } }, data: { domain: '${{ config.domain }}', url: 'https://${{ config.domain }}/' } }],
    ...extra,
  };
}

/** Each demo cell's own domain, set when it is seeded. */
export function demoDomain(cellId: string): string {
  return `${cellId}.cells.example.com`;
}

/** Rings each demo release is promoted to: 2.1.0 has reached staging only. */
export const DEMO_PROMOTIONS: Record<string, string[]> = {
  '1.0.0': ['staging', 'saas', 'dedicated'],
  '1.1.0': ['staging', 'saas', 'dedicated'],
  '1.2.0': ['staging', 'saas', 'dedicated'],
  '2.0.0': ['staging', 'saas', 'dedicated'],
  '2.1.0': ['staging'],
};

export const DEMO_RELEASES: Release[] = [
  release('1.0.0', { notes: 'first release' }),
  release('1.1.0', { notes: 'workspace snapshots are faster' }),
  release('1.2.0', { notes: 'prepares the storage migration of 2.0.0' }),
  release('2.0.0', {
    breaking: true,
    minFromVersion: '1.2.0',
    requiredStepStones: ['1.2.0'],
    notes: 'breaking: new storage layout; 1.2.0 must be installed first',
  }),
  release('2.1.0', { notes: 'bug fixes' }),
];

const nightly = { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '02:00', durationMinutes: 120 };

export const DEMO_CELLS = [
  { id: 'staging-1', ring: 'staging', strategy: 'maintenance-window', maintenanceWindow: { ...nightly, timezone: 'UTC' }, cluster: { kind: 'simulated', initialVersion: '1.1.0' } },
  { id: 'saas-eu-1', ring: 'saas', strategy: 'maintenance-window', maintenanceWindow: { ...nightly, timezone: 'Europe/Berlin' }, cluster: { kind: 'simulated', initialVersion: '1.1.0' } },
  {
    id: 'saas-us-1',
    ring: 'saas',
    strategy: 'live',
    maintenanceWindow: { ...nightly, timezone: 'America/New_York' },
    cluster: { kind: 'simulated', initialVersion: '1.1.0' },
    live: { batchSize: 2, analysis: { checks: 3, intervalSeconds: 5 } },
  },
  { id: 'staging-acme', ring: 'staging', strategy: 'maintenance-window', maintenanceWindow: { ...nightly, timezone: 'UTC' }, cluster: { kind: 'simulated', initialVersion: '1.0.0' } },
  {
    id: 'dedicated-acme',
    ring: 'dedicated',
    strategy: 'staging-first',
    stagingCellId: 'staging-acme',
    stagingFirst: { soakSeconds: 60, healthCheckIntervalSeconds: 10, autoPromote: true },
    maintenanceWindow: { days: ['sat', 'sun'], start: '22:00', durationMinutes: 240, timezone: 'America/Los_Angeles' },
    cluster: { kind: 'simulated', initialVersion: '1.0.0' },
  },
  {
    // A dedicated cell in a customer's account: reached only through its agent (npm start runs it).
    id: 'dedicated-globex',
    ring: 'dedicated',
    strategy: 'maintenance-window',
    connection: 'agent',
    maintenanceWindow: { days: ['sat', 'sun'], start: '03:00', durationMinutes: 240, timezone: 'Asia/Tokyo' },
    cluster: { kind: 'simulated', initialVersion: '1.1.0' },
  },
];
