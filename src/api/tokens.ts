import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiToken, Role } from './plugins/app/auth';

const ROLES: Role[] = ['viewer', 'operator', 'admin', 'customer'];

/**
 * API tokens from the environment: CELLSHIFT_TOKENS (JSON [{token, subject, role, cells?}]; a
 * `customer` token names the cells it stands for) or
 * CELLSHIFT_TOKENS_FILE, plus CELLSHIFT_ADMIN_TOKEN. With none configured, an admin token is
 * generated once and kept in <dataDir>/admin-token, so every part started on that data sees it.
 */
export function loadTokens(dataDir: string, env: NodeJS.ProcessEnv = process.env): { tokens: ApiToken[]; generated?: string } {
  const tokens: ApiToken[] = [];
  const raw = env.CELLSHIFT_TOKENS ?? (env.CELLSHIFT_TOKENS_FILE ? readFileSync(env.CELLSHIFT_TOKENS_FILE, 'utf8') : undefined);
  if (raw) {
    const parsed = JSON.parse(raw) as unknown;
    if (!Array.isArray(parsed)) throw new Error('CELLSHIFT_TOKENS must be a JSON array of {token, subject, role}');
    for (const entry of parsed as Partial<ApiToken>[]) {
      if (!entry.token || !entry.subject || !ROLES.includes(entry.role as Role)) {
        throw new Error(`CELLSHIFT_TOKENS: every entry needs token, subject and a role of ${ROLES.join('/')}`);
      }
      if (entry.role === 'customer' && !(Array.isArray(entry.cells) && entry.cells.length > 0 && entry.cells.every((c) => typeof c === 'string'))) {
        throw new Error(`CELLSHIFT_TOKENS: the customer token of ${entry.subject} needs cells: [the cell ids it stands for]`);
      }
      tokens.push({ token: entry.token, subject: entry.subject, role: entry.role as Role, ...(entry.role === 'customer' ? { cells: entry.cells } : {}) });
    }
  }
  if (env.CELLSHIFT_ADMIN_TOKEN) tokens.push({ token: env.CELLSHIFT_ADMIN_TOKEN, subject: 'admin', role: 'admin' });
  if (tokens.length > 0) return { tokens };

  const file = join(dataDir, 'admin-token');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    try {
      // 'wx': of replicas starting together on one volume, the first one's token is everyone's.
      writeFileSync(file, randomBytes(24).toString('base64url'), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const generated = readFileSync(file, 'utf8').trim();
  return { tokens: [{ token: generated, subject: 'admin', role: 'admin' }], generated };
}
