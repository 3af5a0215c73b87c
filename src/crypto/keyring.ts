// Secrets the database keeps (webhook secrets) are encrypted with a key it does not hold:
// AES-256-GCM from node:crypto, a random 96-bit nonce per encryption, and the id of the key with
// each ciphertext, so keys can be rotated (a new key current, old ones kept to decrypt until every
// row is encrypted again under the new one). The caller binds each ciphertext to where it belongs
// (additional data), so a ciphertext copied to another row does not decrypt.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A secret as stored: the key's id, and base64url(nonce ‖ ciphertext ‖ tag). */
export interface Encrypted {
  keyId: string;
  ciphertext: string;
}

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9._-]{1,40}$/;

/** Decrypting needs a key this process was not given: the message names the key, never a secret. */
export class MissingKeyError extends Error {}

export class Keyring {
  /** `keys` in order: the first is current (encrypts), all decrypt. */
  constructor(private readonly keys: ReadonlyMap<string, Buffer>) {
    if (keys.size === 0) throw new Error('a keyring needs a key');
  }

  get currentId(): string {
    return this.keys.keys().next().value!;
  }

  encrypt(plaintext: string, context: string): Encrypted {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentId)!, nonce).setAAD(Buffer.from(context));
    const ciphertext = Buffer.concat([nonce, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return { keyId: this.currentId, ciphertext: ciphertext.toString('base64url') };
  }

  /** The plaintext; throws MissingKeyError for a key not in the ring, and GCM's error for anything altered or moved. */
  decrypt(encrypted: Encrypted, context: string): string {
    const key = this.keys.get(encrypted.keyId);
    if (!key) throw new MissingKeyError(`encrypted under key ${encrypted.keyId}, which this process was not given (it has ${[...this.keys.keys()].join(', ')}: CELLSHIFT_SECRETS_KEY)`);
    const data = Buffer.from(encrypted.ciphertext, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, NONCE_BYTES)).setAAD(Buffer.from(context));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    return Buffer.concat([decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}

/**
 * `<id>:<base64 of 32 bytes>` entries, separated by commas or line breaks, the current key first
 * (`echo "k2:$(openssl rand -base64 32)"` makes one). Errors name the entry, never key material.
 */
export function parseKeyring(text: string, source: string): Keyring {
  const keys = new Map<string, Buffer>();
  const entries = text.split(/[\s,]+/).filter(Boolean);
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    if (!KEY_ID.test(id)) throw new Error(`${source}: entry ${i + 1} is not <id>:<base64 key> with an id of letters, digits, '.', '_' or '-'`);
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (key.length !== 32) throw new Error(`${source}: key ${id} is not 32 bytes in base64 (openssl rand -base64 32)`);
    if (keys.has(id)) throw new Error(`${source}: key ${id} is given twice`);
    keys.set(id, key);
  });
  if (keys.size === 0) throw new Error(`${source} holds no key: <id>:<base64 of 32 bytes>, the current one first`);
  return new Keyring(keys);
}

/**
 * The keys that encrypt secrets in the database: CELLSHIFT_SECRETS_KEY, or the file
 * CELLSHIFT_SECRETS_KEY_FILE names; with neither, the embedded default's `<dataDir>/secrets-key`,
 * made (0600) on first use. Every API replica and worker must be given the same keys.
 */
export function loadKeyring(dataDir: string, env: NodeJS.ProcessEnv = process.env): Keyring {
  if (env.CELLSHIFT_SECRETS_KEY) return parseKeyring(env.CELLSHIFT_SECRETS_KEY, 'CELLSHIFT_SECRETS_KEY');
  if (env.CELLSHIFT_SECRETS_KEY_FILE) return parseKeyring(readFileSync(env.CELLSHIFT_SECRETS_KEY_FILE, 'utf8'), `CELLSHIFT_SECRETS_KEY_FILE (${env.CELLSHIFT_SECRETS_KEY_FILE})`);
  const file = join(dataDir, 'secrets-key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    // Written whole, then linked into place: of processes starting together, the first one's key is
    // everyone's, and none reads a file half written.
    const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(draft, `local-${randomBytes(3).toString('hex')}:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    try {
      linkSync(draft, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(draft);
    }
  }
  return parseKeyring(readFileSync(file, 'utf8'), file);
}
