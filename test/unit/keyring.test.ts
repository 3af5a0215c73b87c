// The keyring that encrypts secrets kept in the database: AES-256-GCM under the current key, any
// key of the ring to decrypt, bound to where the ciphertext belongs; keys from the environment, a
// file, or a generated default (0600), and no error that quotes key material.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadKeyring, MissingKeyError, parseKeyring } from '../../src/crypto/keyring';

const key = () => randomBytes(32).toString('base64');
const dir = () => mkdtempSync(join(tmpdir(), 'cellshift-keyring-'));

describe('the secrets keyring', () => {
  it('encrypts under the current key with a fresh nonce; opens only with the same key and context, unaltered', () => {
    const ring = parseKeyring(`k1:${key()}`, 'test');
    const sealed = ring.encrypt('a-subscriber-chosen-secret', 'webhook 1');
    expect(sealed.keyId).toBe('k1');
    expect(Buffer.from(sealed.ciphertext, 'base64url').toString('latin1')).not.toContain('subscriber');
    expect(ring.encrypt('a-subscriber-chosen-secret', 'webhook 1').ciphertext).not.toBe(sealed.ciphertext);
    expect(ring.decrypt(sealed, 'webhook 1')).toBe('a-subscriber-chosen-secret');
    expect(() => ring.decrypt(sealed, 'webhook 2')).toThrow(); // copied to another row
    const flipped = Buffer.from(sealed.ciphertext, 'base64url');
    flipped[14] ^= 1;
    expect(() => ring.decrypt({ ...sealed, ciphertext: flipped.toString('base64url') }, 'webhook 1')).toThrow();
    expect(() => parseKeyring(`k1:${key()}`, 'test').decrypt(sealed, 'webhook 1')).toThrow(); // another key named k1
  });

  it('rotates: the first key encrypts, every key decrypts; a key not in the ring is named', () => {
    const k1 = `k1:${key()}`;
    const old = parseKeyring(k1, 'test').encrypt('s', 'c');
    const rotated = parseKeyring(`k2:${key()},\n${k1}`, 'test');
    expect(rotated.currentId).toBe('k2');
    expect(rotated.decrypt(old, 'c')).toBe('s');
    expect(rotated.encrypt('s', 'c').keyId).toBe('k2');
    const without = parseKeyring(`k3:${key()}`, 'test');
    expect(() => without.decrypt(old, 'c')).toThrow(MissingKeyError);
    expect(() => without.decrypt(old, 'c')).toThrow('encrypted under key k1, which this process was not given (it has k3');
  });

  it('refuses malformed keys naming the entry, never quoting the key', () => {
    const short = randomBytes(16).toString('base64');
    const refusal = (text: string) => {
      try {
        parseKeyring(text, 'CELLSHIFT_SECRETS_KEY');
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refusal(`k1:${short}`)).toBe('CELLSHIFT_SECRETS_KEY: key k1 is not 32 bytes in base64 (openssl rand -base64 32)');
    expect(refusal(key())).toContain('entry 1 is not <id>:<base64 key>');
    expect(refusal(`k1:${key()},k1:${key()}`)).toBe('CELLSHIFT_SECRETS_KEY: key k1 is given twice');
    expect(refusal(' ')).toContain('holds no key');
    for (const text of [`k1:${short}`, key()]) expect(refusal(text)).not.toContain(text.slice(-12));
  });

  it('from the environment, a file, or a key generated once (0600) into the data directory', () => {
    const k = `env1:${key()}`;
    expect(loadKeyring(dir(), { CELLSHIFT_SECRETS_KEY: k }).currentId).toBe('env1');
    const file = join(dir(), 'keys');
    writeFileSync(file, `file2:${key()}\nfile1:${key()}\n`);
    expect(loadKeyring(dir(), { CELLSHIFT_SECRETS_KEY_FILE: file }).currentId).toBe('file2');
    const data = dir();
    const generated = loadKeyring(data, {});
    expect(generated.currentId).toMatch(/^local-[0-9a-f]{6}$/);
    expect(statSync(join(data, 'secrets-key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(data, 'secrets-key'), 'utf8')).toMatch(new RegExp(`^${generated.currentId}:[A-Za-z0-9+/]{43}=\\n$`));
    const again = loadKeyring(data, {});
    expect(again.currentId).toBe(generated.currentId);
    expect(again.decrypt(generated.encrypt('s', 'c'), 'c')).toBe('s');
  });
});
