import { Type, type Static } from 'typebox';
import { CellId, Version } from './common';

export const BootstrapTokenBody = Type.Object(
  {
    expiresInMinutes: Type.Optional(Type.Integer({ minimum: 5, maximum: 7 * 24 * 60, description: 'how long the token may be used (default 1440: a day)' })),
  },
  { additionalProperties: false },
);
export type BootstrapTokenBody = Static<typeof BootstrapTokenBody>;

export const BootstrapToken = Type.Object({
  cellId: Type.String(),
  token: Type.String({ description: 'shown once; cellshift keeps only its hash. Give it to the cell\'s bootstrap (CloudFormation parameter or Helm value)' }),
  expiresAt: Type.String({ format: 'date-time' }),
  registerPath: Type.String({ description: 'where the agent exchanges it: POST, with the token as its bearer token' }),
});

export const RegisterAgentBody = Type.Object(
  {
    cellId: CellId,
    agentVersion: Version,
    kubernetesVersion: Type.Optional(Type.String({ maxLength: 64, pattern: '^v?\\d+\\.\\d+' })),
    capabilities: Type.Array(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9:._-]+$' }), { maxItems: 200, uniqueItems: true }),
    host: Type.String({ minLength: 1, maxLength: 253 }),
  },
  { additionalProperties: false },
);
export type RegisterAgentBody = Static<typeof RegisterAgentBody>;

export const AgentRegistered = Type.Object({
  cellId: Type.String(),
  taskQueue: Type.String({ description: 'the only queue the agent polls' }),
  temporal: Type.Object({ address: Type.String(), namespace: Type.String() }, { description: 'where the agent connects, with its own credentials (mTLS or API key from its environment)' }),
  registeredAt: Type.String({ format: 'date-time' }),
  minAgentVersion: Type.String({ description: 'an older agent holds its cell: nothing is updated through it' }),
});
