import { randomBytes } from 'node:crypto';
import type { Db } from './database';

/**
 * A secret every API replica shares, made by whichever starts first: generated once, kept in the
 * database, never in a response or a log.
 */
export async function sharedSecret(db: Db, name: string): Promise<Buffer> {
  await db.insertInto('settings').values({ name, value: randomBytes(32).toString('base64url') }).onConflict((c) => c.column('name').doNothing()).execute();
  const { value } = await db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirstOrThrow();
  return Buffer.from(value, 'base64url');
}
