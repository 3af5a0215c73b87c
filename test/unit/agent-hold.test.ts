import { describe, expect, it } from 'vitest';
import { agentHold, versionOfIdentity, type AgentCheck, type AgentRegistration } from '../../src/domain/agent';

const online = (version: string | null): AgentCheck['presence'] => ({ status: 'online', lastSeen: '2026-12-02T10:00:00.000Z', version, identity: version ? `cell/c1/${version}/h` : null });
const registered: AgentRegistration = { agentVersion: '0.2.0', capabilities: [], host: 'h', registeredAt: '2026-12-01T00:00:00.000Z' };

describe('holding a cell for its agent', () => {
  it('holds a cell whose agent is older than the minimum, whether or not it polls', () => {
    expect(agentHold({ presence: online('0.2.0'), minVersion: '0.3.0' }, registered, false)).toMatch(/agent 0\.2\.0 is older than 0\.3\.0/);
    // A pre-release is older than its release; the same version is fine.
    expect(agentHold({ presence: online('0.3.0-dev'), minVersion: '0.3.0' }, registered, false)).toMatch(/older/);
    expect(agentHold({ presence: online('0.3.0'), minVersion: '0.3.0' }, registered, true)).toBeUndefined();
    // Pollers forgotten by the server: the registered version decides.
    const gone = { status: 'never-seen' as const, lastSeen: null, version: null, identity: null };
    expect(agentHold({ presence: gone, minVersion: '0.3.0' }, registered, false)).toMatch(/older/);
  });

  it('holds an offline agent only when the caller cannot wait for it (a rollout)', () => {
    const offline = { status: 'offline' as const, lastSeen: '2026-12-02T09:00:00.000Z', version: '0.2.0', identity: 'cell/c1/0.2.0/h' };
    expect(agentHold({ presence: offline, minVersion: '0.2.0' }, registered, false)).toBeUndefined();
    expect(agentHold({ presence: offline, minVersion: '0.2.0' }, registered, true)).toBe('agent offline: last seen polling at 2026-12-02T09:00:00.000Z');
    const never = { status: 'never-seen' as const, lastSeen: null, version: null, identity: null };
    expect(agentHold({ presence: never, minVersion: '0.2.0' }, undefined, true)).toBe('no agent has registered yet');
    expect(agentHold({ presence: never, minVersion: '0.2.0' }, registered, true)).toBe('agent offline: not seen polling');
  });

  it('reads the version from an identity, and nothing from a foreign one', () => {
    expect(versionOfIdentity('cell/acme/0.2.0-dev/host-1')).toBe('0.2.0-dev');
    expect(versionOfIdentity('12345@worker-host')).toBeNull();
  });
});
