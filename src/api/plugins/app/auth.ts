import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { tokenDigest } from '../../../crypto/token-digest';
import { HttpProblem } from '../../http/problem';

export type Role = 'viewer' | 'operator' | 'admin' | 'customer';
/** A customer's token ranks below a viewer's: it reaches only the routes that admit customers, for its own cells. */
const RANK: Record<Role, number> = { customer: -1, viewer: 0, operator: 1, admin: 2 };

/** A configured token: the token itself, or its SHA-256 in hex (`cellshift tokens hash`), so the configuration holds no token in clear. */
export interface ApiToken {
  token?: string;
  tokenSha256?: string;
  /** who the token stands for: recorded with every command it sends */
  subject: string;
  role: Role;
  /** a customer's token: the cells it stands for */
  cells?: string[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** the least role a route needs; routes without one are open */
    role?: Role;
    /** the route also admits a customer's token for the cell it names (`:cellId`) */
    customers?: boolean;
  }
  interface FastifyRequest {
    subject: string;
    role: Role;
  }
}

/** Who a token stands for, without the token. */
type Principal = Omit<ApiToken, 'token' | 'tokenSha256'>;

/**
 * Bearer tokens with roles: viewer reads, operator runs updates, admin registers cells and releases;
 * a customer's token reaches its own cells' debug access and nothing else. Written here rather than
 * with @fastify/bearer-auth, which knows tokens but not roles. Only the tokens' SHA-256 digests are
 * kept: a presented token is hashed and looked up by its digest (a lookup's timing tells of the
 * digest, which opens nothing).
 */
export default fp<{ tokens: ApiToken[] }>(
  async (app, { tokens }) => {
    const principals = byDigest(tokens);
    app.decorateRequest('subject', '');
    app.decorateRequest('role', 'viewer');
    app.addHook('onRequest', async (request: FastifyRequest) => {
      const { role: needed, customers } = request.routeOptions.config;
      if (!needed) return;
      const presented = bearerToken(request, 'send Authorization: Bearer <token>');
      const token = principals.get(tokenDigest(presented));
      if (!token) throw new HttpProblem(401, 'Unauthorized', 'the bearer token is not valid');
      if (token.role === 'customer' && customers) {
        const cellId = (request.params as { cellId?: string }).cellId;
        if (!cellId || !token.cells?.includes(cellId)) throw new HttpProblem(403, 'Forbidden', `the customer token of ${token.subject} does not stand for cell ${cellId ?? '(none)'}`);
      } else if (RANK[token.role] < RANK[needed]) {
        throw new HttpProblem(403, 'Forbidden', `this needs the ${needed} role; the token of ${token.subject} has ${token.role}`);
      }
      request.subject = token.subject;
      request.role = token.role;
    });
  },
  { name: 'auth', dependencies: ['problem-json'] },
);

/** The bearer token a request presents; a 401 naming the header when there is none. */
export function bearerToken(request: FastifyRequest, hint: string): string {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  if (!match) throw new HttpProblem(401, 'Unauthorized', hint, { errors: [{ field: 'header.authorization', reason: 'missing bearer token' }] });
  return match[1];
}

/** Each principal by its token's digest; two entries for one token are a configuration error (naming their subjects only). */
function byDigest(tokens: ApiToken[]): Map<string, Principal> {
  const principals = new Map<string, Principal>();
  for (const { token, tokenSha256, ...principal } of tokens) {
    const digest = token ? tokenDigest(token) : tokenSha256?.toLowerCase();
    if (!digest) throw new Error(`the API token of ${principal.subject} has neither token nor tokenSha256`);
    const other = principals.get(digest);
    if (other) throw new Error(`the API tokens of ${other.subject} and ${principal.subject} are the same token: give each its own`);
    principals.set(digest, principal);
  }
  return principals;
}
