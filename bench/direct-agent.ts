// The benchmark's baseline for the agent endpoint: the same agent worker (createAgent, the same
// activities on a simulated cell) connected straight to Temporal, as agents were before the
// endpoint. Nothing but the bench runs an agent this way.
import { NativeConnection } from '@temporalio/worker';
import { createAgent } from '../agent';

const [address, cellId, dataDir] = process.argv.slice(2);
const connection = await NativeConnection.connect({ address });
const agent = await createAgent({ connection, namespace: 'default', cellId, dataDir });
process.once('SIGTERM', () => agent.shutdown());
await agent.run();
await connection.close();
