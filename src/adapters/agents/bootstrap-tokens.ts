import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { JsonStore } from '../json-store';

/** What is kept of a bootstrap token: its hash, never the token. */
interface StoredToken {
  cellId: string;
  sha256: string;
  issuedBy: string;
  issuedAt: string;
  expiresAt: string;
  usedAt?: string;
}

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

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * One-time bootstrap tokens, one live per cell: issuing another replaces the last. A token is
 * 256 random bits, so a plain SHA-256 is hash enough. Using one marks it used; using it again is
 * refused, as is an expired one or one issued for another cell.
 */
export class BootstrapTokens {
  private readonly store: JsonStore<StoredToken>;

  constructor(dataDir: string) {
    this.store = new JsonStore(join(dataDir, 'bootstrap-tokens'));
  }

  async issue(cellId: string, issuedBy: string, ttlMinutes: number, now = new Date()): Promise<IssuedToken> {
    const token = PREFIX + randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + ttlMinutes * 60_000).toISOString();
    await this.store.put(cellId, { cellId, sha256: digest(token).toString('hex'), issuedBy, issuedAt: now.toISOString(), expiresAt });
    return { cellId, token, expiresAt };
  }

  /**
   * Uses the cell's token: `register` runs while the token is held (no second use can start), and
   * the token is marked used only when it succeeds. A refusal changes nothing.
   */
  redeem<R>(cellId: string, token: string, register: () => Promise<R>, now = new Date()): Promise<Redeemed<R>> {
    const refused = (reason: TokenRefusal) => ({ result: { ok: false, reason } as Redeemed<R> });
    return this.store.update(cellId, async (stored) => {
      if (!stored || !sameDigest(stored.sha256, token)) return refused('unknown');
      if (stored.usedAt) return refused('used');
      if (Date.parse(stored.expiresAt) <= now.getTime()) return refused('expired');
      const result = await register();
      return { value: { ...stored, usedAt: now.toISOString() }, result: { ok: true, result } as Redeemed<R> };
    });
  }
}

function sameDigest(storedHex: string, token: string): boolean {
  const stored = Buffer.from(storedHex, 'hex');
  const presented = digest(token);
  return stored.length === presented.length && timingSafeEqual(stored, presented);
}
