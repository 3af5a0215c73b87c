// The bare side of the reads benchmark: Fastify with one route and nothing else (no auth, no
// schemas, no problem+json, no page tokens), running the read model's own queries.
import Fastify from 'fastify';
import { CellReadModel } from '../src/adapters/db/cell-read-model';
import { openDatabase } from '../src/adapters/db/database';

const db = await openDatabase(process.env.DATABASE_URL!);
const cells = new CellReadModel(db);
const app = Fastify();
app.get('/cells', async (request) => {
  const { ring } = request.query as { ring?: string };
  return { cells: (await cells.list({ ring }, 100)).cells };
});
app.get('/cells/:id', async (request) => (await cells.get((request.params as { id: string }).id))?.view);
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
