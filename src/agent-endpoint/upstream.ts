import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { temporalAddress, type Config } from '../config';
import type { Upstream } from './gateway';

/** The control plane's own way to Temporal (address, TLS, API key), for the endpoint to forward with. */
export function upstreamFromConfig(config: Config): Upstream {
  const tls = config.tls;
  const credentials = tls
    ? grpc.credentials.createSsl(
        tls.caPath ? readFileSync(tls.caPath) : null,
        tls.keyPath ? readFileSync(tls.keyPath) : null,
        tls.certPath ? readFileSync(tls.certPath) : null,
      )
    : grpc.credentials.createInsecure();
  // The name the server's certificate carries, when the address is another (TEMPORAL_TLS_SERVER_NAME).
  const channelOptions: grpc.ChannelOptions = tls?.serverName ? { 'grpc.ssl_target_name_override': tls.serverName, 'grpc.default_authority': tls.serverName } : {};
  return { address: temporalAddress(config), credentials, channelOptions, apiKey: config.apiKey, namespace: config.namespace };
}
