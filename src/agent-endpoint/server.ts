// `npm run agent-endpoint`: the agent endpoint alone, the one port cells' agents connect to (in
// production behind the PrivateLink endpoint the product documents describe). It reaches Temporal
// with the control plane's credential and the database for the agents' CA; agents reach nothing else.
import { AgentCredentials } from '../adapters/agents/credentials';
import { ReleaseGrants } from '../adapters/agents/release-grants';
import { CellConfigStore } from '../adapters/db/cell-config';
import { openDatabase } from '../adapters/db/database';
import { SupportBundles } from '../adapters/db/support-bundles';
import { supportBundleBlobs } from '../adapters/bundles/support-bundle-blobs';
import { databaseUrl, loadConfig } from '../config';
import { loadKeyring } from '../crypto/keyring';
import { endWithParent } from '../lifecycle';
import { startAgentEndpoint } from './gateway';
import { upstreamFromConfig } from './upstream';

/** A year: the endpoint's certificate is issued afresh at every start, for the names it is dialled by. */
const SERVER_CERTIFICATE_MS = 365 * 86_400_000;

endWithParent();
const config = loadConfig();
const db = await openDatabase(databaseUrl(config));
const credentials = await AgentCredentials.open(db, loadKeyring(config.dataDir), config.agentEndpoint.credentialMinutes);
const server = await (await credentials.ca).issueServer(config.agentEndpoint.serverNames, SERVER_CERTIFICATE_MS);
const endpoint = await startAgentEndpoint({
  upstream: upstreamFromConfig(config),
  credentials,
  grants: new ReleaseGrants(db),
  configs: new CellConfigStore(db),
  supportBundles: { records: new SupportBundles(db), blobs: supportBundleBlobs(db) },
  server,
  host: config.agentEndpoint.host,
  port: config.agentEndpoint.port,
});
console.error(`agent endpoint on ${config.agentEndpoint.host}:${endpoint.port} (agents dial ${config.agentEndpoint.address}; certificate for ${config.agentEndpoint.serverNames.join(', ')})`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void endpoint
      .close()
      .then(() => db.destroy())
      .then(() => process.exit(0));
  });
}
