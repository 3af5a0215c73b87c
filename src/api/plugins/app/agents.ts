import fp from 'fastify-plugin';
import type { BootstrapTokens } from '../../../adapters/agents/bootstrap-tokens';
import type { AgentCredentials } from '../../../adapters/agents/credentials';
import type { AgentPolicy } from '../../../domain/agent';

export interface AgentSettings extends AgentPolicy {
  /** one-time tokens an agent exchanges for its registration */
  bootstrapTokens: BootstrapTokens;
  /** the certificates agents get from cellshift's CA, one cell each */
  credentials: AgentCredentials;
  /** the agent endpoint a registered agent connects to (host:port), the one thing it reaches */
  endpoint: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** cell agents: bootstrap tokens, where registered agents connect, when one counts as offline */
    agents: AgentSettings;
  }
}

/** What the routes need to register cells' agents and show whether they are there. */
export default fp<AgentSettings>(
  async (app, settings) => {
    app.decorate('agents', settings);
  },
  { name: 'agents' },
);
