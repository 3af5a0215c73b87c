// `npm run rebuild-read-model`: writes the read model of cells again from the running cell
// controllers (Temporal is the source of truth), e.g. after the database was restored from an old
// backup or lost. Safe while cellshift runs: the controllers' own writes are newer and win.
import { Client } from '@temporalio/client';
import { CellReadModel } from '../src/adapters/db/cell-read-model';
import { openDatabase } from '../src/adapters/db/database';
import { databaseUrl, loadConfig } from '../src/config';
import { connectClient } from '../src/temporal/connect';
import { rebuildReadModel } from '../src/temporal/read-model-rebuild';

const config = loadConfig();
const db = await openDatabase(databaseUrl(config));
const connection = await connectClient(config);
const client = new Client({ connection, namespace: config.namespace });
const written = await rebuildReadModel(client, config.taskQueue, new CellReadModel(db), (done) => {
  if (done % 500 === 0) console.error(`${done} cells written…`);
});
console.error(`read model rebuilt: ${written} cells from the controllers on task queue ${config.taskQueue}`);
await connection.close();
await db.destroy();
