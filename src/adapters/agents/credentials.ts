import { randomBytes } from 'node:crypto';
import { AgentCa, certificateSha256, createCa } from '../../crypto/agent-ca';
import type { Keyring } from '../../crypto/keyring';
import type { Db } from '../db/database';
import type { AgentAuthorityTable } from '../db/tables';

type AgentAuthorityRow = AgentAuthorityTable;

/** An agent credential's default lifetime: an hour, renewed by the agent over its connection before it ends. */
export const DEFAULT_CREDENTIAL_MINUTES = 60;

const ROW = 'agents';
const caKeyContext = 'cellshift agent CA key';
const tokenKeyContext = 'cellshift agent task-token key';

/** A credential the endpoint checks a call against: which cell, until when. */
export interface CurrentCredential {
  cellId: string;
  notAfter: Date;
}

/**
 * Per-cell agent credentials: cellshift's CA (made once, its key encrypted under the secrets
 * keyring, shared by every replica through the database) issues each cell's agent a short-lived
 * client certificate from the agent's own CSR, and records it; re-registering or removing the cell
 * revokes every earlier one at once.
 */
export class AgentCredentials {
  private signer?: Promise<AgentCa>;
  private tokenKey?: Buffer;

  private constructor(
    private readonly db: Db,
    private readonly keyring: Keyring,
    private readonly row: AgentAuthorityRow,
    readonly lifetimeMs: number,
  ) {}

  /** Finds cellshift's agent CA, or makes it (once, whoever starts first). Its key is opened only when a certificate is issued. */
  static async open(db: Db, keyring: Keyring, lifetimeMinutes = DEFAULT_CREDENTIAL_MINUTES): Promise<AgentCredentials> {
    let row = await db.selectFrom('agent_authority').selectAll().where('id', '=', ROW).executeTakeFirst();
    if (!row) {
      const ca = await createCa();
      const caKey = keyring.encrypt(ca.privateKeyPem, caKeyContext);
      const tokenKey = keyring.encrypt(randomBytes(32).toString('base64'), tokenKeyContext);
      // Of processes starting together, the first one's CA is everyone's.
      await db
        .insertInto('agent_authority')
        .values({ id: ROW, ca_certificate: ca.certificatePem, key_id: caKey.keyId, ca_key: caKey.ciphertext, task_token_key: tokenKey.ciphertext })
        .onConflict((c) => c.column('id').doNothing())
        .execute();
      row = await db.selectFrom('agent_authority').selectAll().where('id', '=', ROW).executeTakeFirstOrThrow();
    }
    return new AgentCredentials(db, keyring, row, lifetimeMinutes * 60_000);
  }

  /** The CA that signs, its key opened with the keyring (MissingKeyError when this process was not given it). */
  get ca(): Promise<AgentCa> {
    this.signer ??= AgentCa.load({ certificatePem: this.row.ca_certificate, privateKeyPem: this.keyring.decrypt({ keyId: this.row.key_id, ciphertext: this.row.ca_key }, caKeyContext) });
    return this.signer;
  }

  /** What the agent endpoint MACs task tokens with: every replica the same. */
  get taskTokenKey(): Buffer {
    this.tokenKey ??= Buffer.from(this.keyring.decrypt({ keyId: this.row.key_id, ciphertext: this.row.task_token_key }, tokenKeyContext), 'base64');
    return this.tokenKey;
  }

  get caCertificatePem(): string {
    return this.row.ca_certificate;
  }

  /** What a bootstrap pins: the CA certificate's SHA-256. */
  get caSha256(): string {
    return certificateSha256(this.row.ca_certificate);
  }

  /** A certificate for the cell's agent from its CSR, recorded; `registration` revokes every earlier one of the cell. */
  async issue(cellId: string, csrPem: string, issuedFor: 'registration' | 'renewal', now = new Date()) {
    const certificate = await (await this.ca).issueClient(cellId, csrPem, this.lifetimeMs, now);
    if (issuedFor === 'registration') await this.revokeCell(cellId, 'the cell registered an agent again');
    await this.db
      .insertInto('agent_credentials')
      .values({ serial: certificate.serial, cell_id: cellId, issued_at: now.toISOString(), not_after: certificate.notAfter.toISOString(), issued_for: issuedFor })
      .execute();
    return certificate;
  }

  /** Revokes every credential of the cell still in force. */
  async revokeCell(cellId: string, because: string): Promise<number> {
    const result = await this.db
      .updateTable('agent_credentials')
      .set({ revoked_at: new Date().toISOString(), revoked_because: because })
      .where('cell_id', '=', cellId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** The credential with this serial, if it is in force: issued by this CA, not revoked, not expired. */
  async current(serial: string, now = new Date()): Promise<CurrentCredential | undefined> {
    const row = await this.db.selectFrom('agent_credentials').select(['cell_id', 'not_after', 'revoked_at']).where('serial', '=', serial).executeTakeFirst();
    if (!row || row.revoked_at || new Date(row.not_after) <= now) return undefined;
    return { cellId: row.cell_id, notAfter: new Date(row.not_after) };
  }
}
