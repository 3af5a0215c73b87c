import { readFileSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { TLSConfig } from '@temporalio/client';
import { temporalAddress, type Config } from '../config';

function tlsOptions(config: Config): TLSConfig | undefined {
  if (!config.tls) return undefined;
  const { certPath, keyPath, caPath, serverName } = config.tls;
  return {
    serverNameOverride: serverName,
    serverRootCACertificate: caPath ? readFileSync(caPath) : undefined,
    clientCertPair: certPath && keyPath ? { crt: readFileSync(certPath), key: readFileSync(keyPath) } : undefined,
  };
}

export function connectClient(config: Config): Promise<Connection> {
  return Connection.connect({ address: temporalAddress(config), tls: tlsOptions(config), apiKey: config.apiKey });
}

export function connectWorker(config: Config): Promise<NativeConnection> {
  return NativeConnection.connect({ address: temporalAddress(config), tls: tlsOptions(config), apiKey: config.apiKey });
}
