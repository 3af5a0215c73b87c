// Bearer tokens (API tokens, agents' bootstrap tokens) are kept and compared as their SHA-256: a
// token is high-entropy, so a plain hash is enough (no salt, no slow KDF), and whoever reads a
// configuration or a table learns nothing that opens the API.
import { createHash, timingSafeEqual } from 'node:crypto';

/** The SHA-256 of a token, as the hex a configuration or a table holds. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Whether `token` hashes to `digestHex`, compared in constant time. */
export function matchesDigest(digestHex: string, token: string): boolean {
  const stored = Buffer.from(digestHex, 'hex');
  const presented = Buffer.from(tokenDigest(token), 'hex');
  return stored.length === presented.length && timingSafeEqual(stored, presented);
}

/** A SHA-256 in hex, as `cellshift tokens hash` prints it. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;
