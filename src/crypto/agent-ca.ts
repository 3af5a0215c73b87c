// cellshift's own certificate authority for cell agents, with @peculiar/x509 over WebCrypto
// (ECDSA P-256, SHA-256): a self-signed CA, client certificates naming one cell issued from a
// CSR whose key never left the cell, and the agent endpoint's server certificate.
import 'reflect-metadata'; // @peculiar/x509's dependency injection needs it loaded first
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// Node's WebCrypto, typed as the DOM's (the library's types) rather than node:crypto's.
const webcrypto = globalThis.crypto;
x509.cryptoProvider.set(webcrypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** The URI a client certificate names its cell with (a SAN; the subject says it too, for people). */
export function cellUri(cellId: string): string {
  return `urn:cellshift:cell:${cellId}`;
}

export interface CaMaterial {
  certificatePem: string;
  /** PKCS#8, PEM */
  privateKeyPem: string;
}

export interface IssuedCertificate {
  certificatePem: string;
  /** hex, as Node's X509Certificate reports it */
  serial: string;
  notAfter: Date;
}

export async function createCa(now = new Date()): Promise<CaMaterial> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=cellshift agent CA',
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 10 * 365 * 86_400_000),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true), await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
  });
  return { certificatePem: certificate.toString('pem'), privateKeyPem: await pkcs8Pem(keys.privateKey) };
}

/** SHA-256 of the certificate's DER, hex: what an agent pins from its bootstrap. */
export function certificateSha256(certificatePem: string): string {
  return createHash('sha256').update(new X509Certificate(certificatePem).raw).digest('hex');
}

export class AgentCa {
  private constructor(
    private readonly certificate: x509.X509Certificate,
    private readonly key: CryptoKey,
  ) {}

  static async load(material: CaMaterial): Promise<AgentCa> {
    const der = pemBody(material.privateKeyPem);
    const key = await webcrypto.subtle.importKey('pkcs8', new Uint8Array(der), ALGORITHM, false, ['sign']);
    return new AgentCa(new x509.X509Certificate(material.certificatePem), key);
  }

  get certificatePem(): string {
    return this.certificate.toString('pem');
  }

  /**
   * A client certificate for `cellId` from the cell's CSR: the CSR's signature must verify (its
   * key is the cell's own) and its key be ECDSA P-256 or Ed25519; whatever it names is ignored.
   */
  async issueClient(cellId: string, csrPem: string, lifetimeMs: number, now = new Date()): Promise<IssuedCertificate> {
    let csr: x509.Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPem);
    } catch {
      throw new CsrError('not a PEM certificate signing request (PKCS#10)');
    }
    const algorithm = csr.publicKey.algorithm as EcKeyAlgorithm;
    if (!(algorithm.name === 'ECDSA' && algorithm.namedCurve === 'P-256') && algorithm.name !== 'Ed25519') throw new CsrError(`the key must be ECDSA P-256 or Ed25519, not ${algorithm.name}${algorithm.namedCurve ? ` ${algorithm.namedCurve}` : ''}`);
    if (!(await csr.verify())) throw new CsrError("the request's signature does not verify: it was not signed by the key it carries");
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=cell/${cellId}`,
      issuer: this.certificate.subject,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + lifetimeMs),
      signingAlgorithm: ALGORITHM,
      publicKey: csr.publicKey,
      signingKey: this.key,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], true),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: cellUri(cellId) }], true),
      ],
    });
    return issued(certificate);
  }

  /** The agent endpoint's own certificate and key, for the names agents dial it by. */
  async issueServer(hosts: string[], lifetimeMs: number, now = new Date()): Promise<IssuedCertificate & { privateKeyPem: string }> {
    const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
    const names = hosts.map((host) => (/^[\d.]+$|:/.test(host) ? { type: 'ip' as const, value: host } : { type: 'dns' as const, value: host }));
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${hosts[0]}`,
      issuer: this.certificate.subject,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + lifetimeMs),
      signingAlgorithm: ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: this.key,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], true),
        new x509.SubjectAlternativeNameExtension(names, false),
      ],
    });
    return { ...issued(certificate), privateKeyPem: await pkcs8Pem(keys.privateKey) };
  }
}

/** A CSR cellshift will not sign: the message says why, for the agent's operator. */
export class CsrError extends Error {}

/** A key pair made in the cell, and its CSR: the private key stays with the caller. */
export async function createKeyAndCsr(cellId: string): Promise<{ privateKeyPem: string; csrPem: string }> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=cell/${cellId}`, keys, signingAlgorithm: ALGORITHM });
  return { privateKeyPem: await pkcs8Pem(keys.privateKey), csrPem: csr.toString('pem') };
}

/** The cell a client certificate names (its SAN URI), or undefined. */
export function cellOfCertificate(certificate: X509Certificate): string | undefined {
  const uri = certificate.subjectAltName?.split(', ').find((n) => n.startsWith('URI:urn:cellshift:cell:'));
  return uri?.slice('URI:urn:cellshift:cell:'.length);
}

function issued(certificate: x509.X509Certificate): IssuedCertificate {
  const pem = certificate.toString('pem');
  const node = new X509Certificate(pem);
  return { certificatePem: pem, serial: node.serialNumber, notAfter: new Date(node.validTo) };
}

function serial(): string {
  // 16 random bytes, the first below 0x80: a positive integer, as RFC 5280 asks.
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString('hex');
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}
