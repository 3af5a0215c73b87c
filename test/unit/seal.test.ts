import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { open, parsePublicKey, seal } from '../../src/crypto/seal';

const pair = () => {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  return { publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
};

describe('sealing a secret to a public key', () => {
  it('opens with the matching private key only, and not once altered', () => {
    const mine = pair();
    const sealed = seal('eyJhbGciOi.token.secret', mine.publicKey);
    expect(JSON.stringify(sealed)).not.toContain('token.secret');
    expect(open(sealed, mine.privateKey)).toBe('eyJhbGciOi.token.secret');
    expect(() => open(sealed, pair().privateKey)).toThrow();
    const flipped = Buffer.from(sealed.ciphertext, 'base64');
    flipped[0] ^= 1;
    expect(() => open({ ...sealed, ciphertext: flipped.toString('base64') }, mine.privateKey)).toThrow();
    // Each sealing is fresh: the same secret twice gives two ciphertexts.
    expect(seal('same', mine.publicKey).ciphertext).not.toBe(seal('same', mine.publicKey).ciphertext);
  });

  it('takes X25519 public keys in PEM and names what else it was given', () => {
    expect('key' in parsePublicKey(pair().publicKey)).toBe(true);
    const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(parsePublicKey(ed)).toEqual({ reason: 'an X25519 public key is needed, not ed25519' });
    expect(parsePublicKey('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----')).toMatchObject({ reason: expect.stringContaining('not a PEM public key') });
    // A private key holds its public half, but is refused: it must not travel.
    expect(parsePublicKey(pair().privateKey)).toMatchObject({ reason: expect.stringContaining('this is a private key') });
  });
});
