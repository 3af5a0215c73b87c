// Ed25519 signatures (node:crypto) over a digest under a fixed context per purpose, so a signature
// made for one thing never passes for another: vendors sign releases (a release's digest: the
// SHA-256 of its document, which names its manifests by their own digest), customers sign their
// approval of a debug access request. Keys are PEM (PKCS#8 private, SPKI public); a key is named by
// the SHA-256 of its public key.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

export interface ReleaseSignature {
  /** which vendor key: the first 16 hex digits of the SHA-256 of its SPKI */
  keyId: string;
  algorithm: 'ed25519';
  /** base64 */
  value: string;
}

/** What a signature is for: its context is signed with the digest. */
export type SignaturePurpose = 'release' | 'debug-approval' | 'support-bundle-consent';
const context = (digest: string, purpose: SignaturePurpose = 'release') => Buffer.from(`cellshift ${purpose} v1\n${digest}`, 'utf8');

export function keyId(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

export function generateReleaseKey(): { privateKeyPem: string; publicKeyPem: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), keyId: keyId(publicKey) };
}

export function signRelease(digest: string, privateKeyPem: string, purpose: SignaturePurpose = 'release'): ReleaseSignature {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`signatures are made with an Ed25519 key, not ${key.asymmetricKeyType}`);
  return { keyId: keyId(createPublicKey(key)), algorithm: 'ed25519', value: sign(null, context(digest, purpose), key).toString('base64') };
}

/** Vendor keys a verifier trusts, by id. */
export class VendorKeys {
  private readonly keys = new Map<string, KeyObject>();

  constructor(publicKeyPems: string[]) {
    for (const pem of publicKeyPems) {
      const key = createPublicKey(pem);
      if (key.asymmetricKeyType !== 'ed25519') throw new Error(`a vendor key is Ed25519, not ${key.asymmetricKeyType}`);
      this.keys.set(keyId(key), key);
    }
  }

  get size(): number {
    return this.keys.size;
  }

  get ids(): string[] {
    return [...this.keys.keys()];
  }

  /** Why the signature does not vouch for what has this digest, or undefined when it does. */
  refusal(digest: string, signature: ReleaseSignature | undefined, purpose: SignaturePurpose = 'release'): string | undefined {
    if (!signature) return 'it is not signed';
    if (signature.algorithm !== 'ed25519') return `it is signed with ${signature.algorithm}, not ed25519`;
    const key = this.keys.get(signature.keyId);
    if (!key) return `it is signed with key ${signature.keyId}, which is not a ${purpose === 'release' ? 'vendor' : 'customer'} key trusted here (${this.ids.join(', ') || 'none'})`;
    let ok: boolean;
    try {
      ok = verify(null, context(digest, purpose), key, Buffer.from(signature.value, 'base64'));
    } catch {
      ok = false; // a value that is no signature at all
    }
    return ok ? undefined : `its signature by key ${signature.keyId} does not verify over ${digest}: it was altered, or signed as another`;
  }
}

/** PEM public keys in one text (a file or a variable holding several). */
export function parsePublicKeys(text: string): string[] {
  return text.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? [];
}
