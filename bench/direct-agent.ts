// The benchmark's baseline for the agent endpoint: the same agent worker (createAgent, the same
// activities on a simulated cell) connected straight to Temporal, as agents were before the
// endpoint. Nothing but the bench runs an agent this way.
import { NativeConnection } from '@temporalio/worker';
import { createAgent } from '../agent';
import { SqlReleaseCatalog } from '../src/adapters/catalog/sql-catalog';
import { openDatabase } from '../src/adapters/db/database';

const [address, cellId, dataDir, databaseUrl] = process.argv.slice(2);
const connection = await NativeConnection.connect({ address });
// Before the endpoint an agent was handed each release in its tasks; here it reads them from the catalog.
const agent = await createAgent({ connection, releases: new SqlReleaseCatalog(await openDatabase(databaseUrl)), namespace: 'default', cellId, dataDir });
process.once('SIGTERM', () => agent.shutdown());
await agent.run();
await connection.close();
