import { Type, type Static } from 'typebox';
import { CellId, Version } from '../../domain/schemas/common';

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
  caSha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: "the SHA-256 of cellshift's agent CA certificate: give it to the agent with the token (--ca-sha256); it trusts only the endpoint that CA vouches for" }),
  endpoint: Type.String({ description: 'the agent endpoint agents connect to (host:port)' }),
});

export const RegisterAgentBody = Type.Object(
  {
    cellId: CellId,
    agentVersion: Version,
    kubernetesVersion: Type.Optional(Type.String({ maxLength: 64, pattern: '^v?\\d+\\.\\d+' })),
    capabilities: Type.Array(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9:._-]+$' }), { maxItems: 200, uniqueItems: true }),
    host: Type.String({ minLength: 1, maxLength: 253 }),
    csr: Type.String({ minLength: 1, maxLength: 16_384, description: "a PEM certificate signing request (PKCS#10) of a key the agent made in the cell (ECDSA P-256 or Ed25519); the key never leaves it" }),
  },
  { additionalProperties: false },
);
export type RegisterAgentBody = Static<typeof RegisterAgentBody>;

export const AgentRegistered = Type.Object({
  cellId: Type.String(),
  taskQueue: Type.String({ description: 'the only queue the agent polls' }),
  endpoint: Type.String({ description: 'the agent endpoint to connect to (host:port), over mutual TLS with the certificate below' }),
  namespace: Type.String(),
  certificate: Type.String({ description: "the agent's client certificate (PEM), naming its cell; renewed over the endpoint before notAfter" }),
  notAfter: Type.String({ format: 'date-time' }),
  caCertificate: Type.String({ description: "cellshift's agent CA (PEM): the agent checks it against the SHA-256 it was given with its bootstrap token" }),
  registeredAt: Type.String({ format: 'date-time' }),
  minAgentVersion: Type.String({ description: 'an older agent holds its cell: nothing is updated through it' }),
});
