import fp from 'fastify-plugin';
import type { SimulatedCluster } from '../../../adapters/simulated/cluster';
import type { SimulatedStack } from '../../../adapters/simulated/stack';

declare module 'fastify' {
  interface FastifyInstance {
    /** simulated cells' clusters: their state and injected faults */
    simulated: SimulatedCluster;
    /** simulated cells' CloudFormation stacks: their state and injected faults */
    simulatedStack: SimulatedStack;
  }
}

/** The control knobs of simulated cells, for demos and fault injection (`/v1/sim/...`). */
export default fp<{ cluster: SimulatedCluster; stack: SimulatedStack }>(
  async (app, { cluster, stack }) => {
    app.decorate('simulated', cluster);
    app.decorate('simulatedStack', stack);
  },
  { name: 'simulation' },
);
