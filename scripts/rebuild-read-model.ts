// `npm run rebuild-read-model`: writes the read model of cells and updates again from the
// workflows (Temporal is the source of truth), e.g. after the database was restored from an old
// backup or lost. Safe while cellshift runs: the controllers' own writes are newer and win.
import { Client } from '@temporalio/client';
import { CellReadModel } from '../src/adapters/db/cell-read-model';
import { openDatabase } from '../src/adapters/db/database';
import { UpdateReadModel } from '../src/adapters/db/update-read-model';
import { databaseUrl, loadConfig } from '../src/config';
import { connectClient } from '../src/workflows/client';
import { rebuildReadModel } from '../src/workflows/read-model/client';

const config = loadConfig();
const db = await openDatabase(databaseUrl(config));
const connection = await connectClient(config);
const client = new Client({ connection, namespace: config.namespace });
const written = await rebuildReadModel(client, config.taskQueue, { cells: new CellReadModel(db), updates: new UpdateReadModel(db) }, (done) => {
  if (done % 500 === 0) console.error(`${done} written…`);
});
console.error(`read model rebuilt from the workflows on task queue ${config.taskQueue}: ${written.cells} cells, ${written.updates} updates`);
await connection.close();
await db.destroy();
