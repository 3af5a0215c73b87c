import { randomBytes } from 'node:crypto';
import { matchesDigest, tokenDigest } from '../../crypto/token-digest';
import type { Db } from '../db/database';

export interface IssuedToken {
  cellId: string;
  /** shown once, to whoever asked for it */
  token: string;
  expiresAt: string;
}

/** Why a token was refused: `unknown` (garbage, replaced, or another cell's), `expired`, `used`. */
export type TokenRefusal = 'unknown' | 'expired' | 'used';

export type Redeemed<R> = { ok: true; result: R } | { ok: false; reason: TokenRefusal };

const PREFIX = 'csb_';

/**
 * One-time bootstrap tokens, one live per cell: issuing another replaces the last. A token is
 * 256 random bits, kept as its SHA-256 only, like API tokens (src/crypto/token-digest.ts). Using
 * one marks it used; using it again is refused, as is an expired one or one issued for another cell.
 */
export class BootstrapTokens {
  constructor(private readonly db: Db) {}

  async issue(cellId: string, issuedBy: string, ttlMinutes: number, now = new Date()): Promise<IssuedToken> {
    const token = PREFIX + randomBytes(32).toString('base64url');
    const row = { sha256: tokenDigest(token), issued_by: issuedBy, issued_at: now.toISOString(), expires_at: new Date(now.getTime() + ttlMinutes * 60_000).toISOString(), used_at: null };
    await this.db
      .insertInto('bootstrap_tokens')
      .values({ cell_id: cellId, ...row })
      .onConflict((c) => c.column('cell_id').doUpdateSet(row))
      .execute();
    return { cellId, token, expiresAt: row.expires_at };
  }

  /**
   * Uses the cell's token: claims it (marks it used) in one statement, so a second use finds it
   * used, then runs `register`; a registration that fails gives the token back. A refusal changes
   * nothing. (No transaction stays open across `register`: it waits on the cell's controller.)
   */
  async redeem<R>(cellId: string, token: string, register: () => Promise<R>, now = new Date()): Promise<Redeemed<R>> {
    const sha256 = tokenDigest(token);
    const usedAt = now.toISOString();
    const claimed = await this.db
      .updateTable('bootstrap_tokens')
      .set({ used_at: usedAt })
      .where('cell_id', '=', cellId)
      .where('sha256', '=', sha256)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returning('cell_id')
      .executeTakeFirst();
    if (!claimed) return { ok: false, reason: await this.whyRefused(cellId, token, now) };
    try {
      return { ok: true, result: await register() };
    } catch (err) {
      await this.db.updateTable('bootstrap_tokens').set({ used_at: null }).where('cell_id', '=', cellId).where('sha256', '=', sha256).execute();
      throw err;
    }
  }

  private async whyRefused(cellId: string, token: string, now: Date): Promise<TokenRefusal> {
    const stored = await this.db.selectFrom('bootstrap_tokens').select(['sha256', 'used_at', 'expires_at']).where('cell_id', '=', cellId).executeTakeFirst();
    if (!stored || !matchesDigest(stored.sha256, token)) return 'unknown';
    return stored.used_at ? 'used' : stored.expires_at.getTime() <= now.getTime() ? 'expired' : 'unknown';
  }
}
