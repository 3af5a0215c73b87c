// The agent's registration and its credential, as the agent keeps them beside itself in one file
// (0600, replaced whole by a rename): where it connects, the CA its bootstrap pinned, its
// certificate, and its private key (made here, in the cell; it never leaves). Renewed over the
// tunnel well before it ends.
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { certificateSha256, cellOfCertificate, createKeyAndCsr } from '../crypto/agent-ca';
import type { AgentTunnel, Credential } from './tunnel';

/** Where the agent connects and as what, as its registration said; kept so a restart needs no new token. */
export interface AgentState {
  cellId: string;
  taskQueue: string;
  namespace: string;
  /** the agent endpoint, host:port */
  endpoint: string;
  caCertificate: string;
  certificate: string;
  registeredAt: string;
  /** the vendor's release keys, pinned from the bootstrap (never from an answer of the control plane) */
  vendorKeys?: string[];
  /** the customer's keys, pinned from the bootstrap: its approvals of debug access are checked against them */
  customerKeys?: string[];
}

export interface Registration {
  controlPlane: string;
  token: string;
  /** the CA's SHA-256, from the bootstrap: the only CA the agent will trust */
  caSha256: string;
  /** the vendor's release keys (PEM), from the bootstrap: the only signatures the agent will apply releases under */
  vendorKeys: string[];
  /** the customer's keys (PEM), from the bootstrap: the only approvals of debug access the agent will grant under */
  customerKeys?: string[];
  cellId: string;
  /** what the agent says of itself */
  about: { agentVersion: string; kubernetesVersion?: string; capabilities: string[]; host: string };
}

/**
 * Exchanges a one-time bootstrap token for the cell's first credential: a key made here, its CSR
 * sent in one outgoing HTTPS call (plain HTTP only on loopback, for a test bed). The answer's CA
 * must be the one the bootstrap pinned, and the certificate must be that CA's, for this cell.
 */
export async function register(registration: Registration, stateFile: string): Promise<AgentState> {
  const { controlPlane, token, caSha256, cellId } = registration;
  const url = new URL('/v1/agents/register', controlPlane);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !loopback) throw new Error(`the control plane must be reached over HTTPS (${url.origin}): the bootstrap token must not travel in the clear`);
  if (!/^[0-9a-f]{64}$/.test(caSha256)) throw new Error('the bootstrap gives the SHA-256 of cellshift\'s agent CA (64 hex digits, --ca-sha256 or CELLSHIFT_CA_SHA256): without it the agent cannot know whom to trust');
  const { privateKeyPem, csrPem } = await createKeyAndCsr(cellId);
  const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ cellId, ...registration.about, csr: csrPem }) });
  const answer = (await res.json().catch(() => ({}))) as Partial<AgentState & { notAfter: string }> & { detail?: string };
  if (!res.ok) throw new Error(`registration refused (${res.status}): ${answer.detail ?? res.statusText}`);
  if (!answer.caCertificate || certificateSha256(answer.caCertificate) !== caSha256) throw new Error(`the control plane answered with a CA other than the one the bootstrap pinned (${caSha256}): refusing it`);
  checkCertificate(answer.certificate!, answer.caCertificate, cellId);
  const state: AgentState = { cellId, taskQueue: answer.taskQueue!, namespace: answer.namespace!, endpoint: answer.endpoint!, caCertificate: answer.caCertificate, certificate: answer.certificate!, registeredAt: answer.registeredAt!, ...(registration.vendorKeys.length > 0 ? { vendorKeys: registration.vendorKeys } : {}), ...(registration.customerKeys?.length ? { customerKeys: registration.customerKeys } : {}) };
  save(stateFile, state, privateKeyPem);
  return state;
}

export function readState(stateFile: string, cellId: string): { state: AgentState; credential: Credential } | undefined {
  if (!existsSync(stateFile)) return undefined;
  const { privateKey, ...state } = JSON.parse(readFileSync(stateFile, 'utf8')) as Partial<AgentState> & { privateKey?: string };
  if (state.cellId !== cellId || !state.certificate || !privateKey) return undefined; // another cell's, or an agent of 0.1.0's (no credential)
  return { state: state as AgentState, credential: { certificatePem: state.certificate, privateKeyPem: privateKey } };
}

/** When the certificate ends, and when to renew it: two thirds into its life. */
export function lifetime(certificatePem: string): { notAfter: Date; renewAt: Date } {
  const certificate = new X509Certificate(certificatePem);
  const from = Date.parse(certificate.validFrom);
  const to = Date.parse(certificate.validTo);
  return { notAfter: new Date(to), renewAt: new Date(from + ((to - from) * 2) / 3) };
}

/**
 * Renews the credential before it ends, over the tunnel, with a new key each time (retried every
 * 30 s if the endpoint is away), saving key and certificate and handing them to the tunnel.
 * Returns a function that stops it.
 */
export function keepRenewed(tunnel: AgentTunnel, stateFile: string, state: AgentState, log: (line: string) => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (at: Date) => {
    if (!stopped) timer = setTimeout(() => void renew(), Math.max(0, at.getTime() - Date.now()));
  };
  const renew = async () => {
    try {
      const { privateKeyPem, csrPem } = await createKeyAndCsr(state.cellId);
      const answer = await tunnel.renew(csrPem);
      checkCertificate(answer.certificate, state.caCertificate, state.cellId);
      state.certificate = answer.certificate;
      save(stateFile, state, privateKeyPem);
      tunnel.use({ privateKeyPem, certificatePem: answer.certificate });
      log(`credential of cell ${state.cellId} renewed until ${answer.notAfter}`);
      schedule(lifetime(answer.certificate).renewAt);
    } catch (err) {
      const { notAfter } = lifetime(state.certificate);
      log(`renewing the credential of cell ${state.cellId} failed (${(err as Error).message}); it ends at ${notAfter.toISOString()}, trying again in 30 s`);
      schedule(new Date(Date.now() + 30_000));
    }
  };
  schedule(lifetime(state.certificate).renewAt);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function checkCertificate(certificatePem: string, caCertificatePem: string, cellId: string): void {
  const certificate = new X509Certificate(certificatePem);
  if (!certificate.verify(new X509Certificate(caCertificatePem).publicKey)) throw new Error('the certificate the control plane answered with was not issued by the pinned CA');
  if (cellOfCertificate(certificate) !== cellId) throw new Error(`the certificate the control plane answered with names cell ${cellOfCertificate(certificate) ?? 'none'}, not ${cellId}`);
}

function save(stateFile: string, state: AgentState, privateKeyPem: string): void {
  mkdirSync(dirname(stateFile), { recursive: true });
  // Key and certificate change together: a crash leaves the old pair or the new one, never a mix.
  writeFileSync(`${stateFile}.new`, JSON.stringify({ ...state, privateKey: privateKeyPem }, null, 2), { mode: 0o600 });
  renameSync(`${stateFile}.new`, stateFile);
}
