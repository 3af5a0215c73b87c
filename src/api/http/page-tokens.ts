import { createHmac, timingSafeEqual } from 'node:crypto';
import { badRequest } from './problem';

/**
 * Opaque page tokens: where the next page starts, signed with a key all replicas share. A token
 * this API did not issue (garbage, edited, from another install) is a 400 naming the field,
 * never a query run with it.
 */
export class PageTokens {
  constructor(private readonly key: Buffer) {}

  seal(position: Record<string, unknown>): string {
    const body = Buffer.from(JSON.stringify(position)).toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  open<T extends Record<string, unknown>>(token: string, field: string): T {
    const refused = () => badRequest([{ field, reason: 'not a page token this API issued: pass the nextPageToken of the previous page as it was' }]);
    const [body, signature, ...rest] = token.split('.');
    if (!body || !signature || rest.length > 0) throw refused();
    const expected = Buffer.from(this.sign(body));
    const presented = Buffer.from(signature);
    if (expected.length !== presented.length || !timingSafeEqual(expected, presented)) throw refused();
    try {
      const position = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown;
      if (typeof position !== 'object' || position === null || Array.isArray(position)) throw refused();
      return position as T;
    } catch {
      throw refused();
    }
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
