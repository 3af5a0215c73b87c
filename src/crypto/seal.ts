// A secret sealed to a recipient's X25519 public key: an ephemeral key pair, ECDH, HKDF-SHA-256,
// AES-256-GCM, all from node:crypto. Only the holder of the private key opens it; whatever carries
// the sealed form (workflow history, logs, the API) holds ciphertext only.
import { createPrivateKey, createPublicKey, createCipheriv, createDecipheriv, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';

import type { Sealed } from '../domain/debug-access';

const INFO = Buffer.from('cellshift sealed secret v1');

/** The X25519 public key in a PEM (SPKI, `openssl pkey -pubout`), or why it is not one. */
export function parsePublicKey(pem: string): { key: KeyObject } | { reason: string } {
  // A private key would yield its public half: refused, so it never travels further than this check.
  if (/PRIVATE KEY/.test(pem)) return { reason: 'this is a private key: send its public half (openssl pkey -in key.pem -pubout) and keep the private key' };
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'x25519') return { reason: `an X25519 public key is needed, not ${key.asymmetricKeyType ?? 'this key'}` };
    return { key };
  } catch {
    return { reason: 'not a PEM public key (openssl genpkey -algorithm X25519 -out key.pem && openssl pkey -in key.pem -pubout)' };
  }
}

function keyFor(shared: Buffer, ephemeralDer: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, ephemeralDer, INFO, 32));
}

/** Seals `secret` to the holder of the private key matching `publicKeyPem`. */
export function seal(secret: string, publicKeyPem: string): Sealed {
  const parsed = parsePublicKey(publicKeyPem);
  if ('reason' in parsed) throw new TypeError(parsed.reason);
  const ephemeral = generateKeyPairSync('x25519');
  const ephemeralDer = ephemeral.publicKey.export({ type: 'spki', format: 'der' });
  const key = keyFor(diffieHellman({ privateKey: ephemeral.privateKey, publicKey: parsed.key }), ephemeralDer);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return { algorithm: 'X25519-HKDF-SHA256-A256GCM', ephemeralPublicKey: ephemeralDer.toString('base64'), iv: iv.toString('base64'), ciphertext: ciphertext.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

/** Opens what `seal` sealed, with the recipient's private key (PEM); throws when it is not theirs or was altered. */
export function open(sealed: Sealed, privateKeyPem: string): string {
  const ephemeralDer = Buffer.from(sealed.ephemeralPublicKey, 'base64');
  const publicKey = createPublicKey({ key: ephemeralDer, format: 'der', type: 'spki' });
  const key = keyFor(diffieHellman({ privateKey: createPrivateKey(privateKeyPem), publicKey }), ephemeralDer);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]).toString('utf8');
}
