import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHA256_HEX } from '../../crypto/token-digest';
import type { ApiToken, Role } from '../plugins/app/auth';

const ROLES: Role[] = ['viewer', 'operator', 'admin', 'customer'];

/**
 * API tokens from the environment: CELLSHIFT_TOKENS (JSON [{token or tokenSha256, subject, role,
 * cells?}]; `tokenSha256` is the token's SHA-256 in hex, from `cellshift tokens hash`, so the
 * configuration holds no token in clear; a `customer` token names the cells it stands for) or
 * CELLSHIFT_TOKENS_FILE, plus CELLSHIFT_ADMIN_TOKEN. With none configured, an admin token is
 * generated once and kept in <dataDir>/admin-token, so every part started on that data sees it.
 * The API keeps only their hashes (plugins/app/auth.ts). Errors name the entry, never its token.
 */
export function loadTokens(dataDir: string, env: NodeJS.ProcessEnv = process.env): { tokens: ApiToken[]; generated?: string } {
  const tokens: ApiToken[] = [];
  const source = env.CELLSHIFT_TOKENS ? 'CELLSHIFT_TOKENS' : env.CELLSHIFT_TOKENS_FILE ? `CELLSHIFT_TOKENS_FILE (${env.CELLSHIFT_TOKENS_FILE})` : undefined;
  // An empty variable is an unset one (docker-compose passes `${CELLSHIFT_TOKENS:-}` as '').
  const raw = env.CELLSHIFT_TOKENS || (env.CELLSHIFT_TOKENS_FILE ? readFileSync(env.CELLSHIFT_TOKENS_FILE, 'utf8') : undefined);
  if (raw) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      // JSON.parse's own message quotes the text around the fault: a token, as often as not.
      throw new Error(`${source} is not valid JSON`);
    }
    if (!Array.isArray(parsed)) throw new Error(`${source} must be a JSON array of {token or tokenSha256, subject, role}`);
    parsed.forEach((entry: Partial<ApiToken>, i) => tokens.push(tokenEntry(entry, `${source}[${i}]`)));
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

/** One configured entry, checked: a token or its hash (not both), a subject, a role, a customer's cells. */
function tokenEntry(entry: Partial<ApiToken>, where: string): ApiToken {
  if (typeof entry !== 'object' || entry === null) throw new Error(`${where}: every entry is an object {token or tokenSha256, subject, role}`);
  const named = typeof entry.subject === 'string' && entry.subject ? `${where} (${entry.subject})` : where;
  if (!entry.subject || typeof entry.subject !== 'string' || !ROLES.includes(entry.role as Role)) throw new Error(`${named}: every entry needs a subject and a role of ${ROLES.join('/')}`);
  const hasToken = typeof entry.token === 'string' && entry.token.length > 0;
  const hasHash = entry.tokenSha256 !== undefined;
  if (hasToken === hasHash) throw new Error(`${named}: give either token or tokenSha256 (its SHA-256 in hex: cellshift tokens hash), not ${hasToken ? 'both' : 'neither'}`);
  if (hasHash && !(typeof entry.tokenSha256 === 'string' && SHA256_HEX.test(entry.tokenSha256.toLowerCase()))) throw new Error(`${named}: tokenSha256 must be 64 hex digits (cellshift tokens hash)`);
  if (entry.role === 'customer' && !(Array.isArray(entry.cells) && entry.cells.length > 0 && entry.cells.every((c) => typeof c === 'string'))) {
    throw new Error(`${named}: a customer token needs cells: [the cell ids it stands for]`);
  }
  return {
    ...(hasToken ? { token: entry.token } : { tokenSha256: entry.tokenSha256!.toLowerCase() }),
    subject: entry.subject,
    role: entry.role as Role,
    ...(entry.role === 'customer' ? { cells: entry.cells } : {}),
  };
}
