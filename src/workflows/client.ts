// The client side every concern shares: connections to Temporal (the API's and scripts' client, the
// worker's native one) and the registration of cellshift's search attributes. Each concern's own
// starts, handles and visibility queries are in its folder's `client.ts` (src/workflows/<concern>/).
import { readFileSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import type { TLSConfig } from '@temporalio/client';
import proto from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import { temporalAddress, type Config } from '../config';
import { SEARCH_ATTRIBUTES } from './search-attributes';

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

const { IndexedValueType } = proto.temporal.api.enums.v1;
const UNIMPLEMENTED = 12;

/** Registers cellshift's search attributes on the namespace, once; an existing one is left alone. */
export async function ensureSearchAttributes(connection: Pick<Connection, 'operatorService'>, namespace: string): Promise<void> {
  let known = new Set<string>();
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    known = new Set(Object.keys({ ...existing.customAttributes, ...existing.systemAttributes }));
  } catch (err) {
    // The Java time-skipping test server cannot list them, but can add them.
    if ((err as { code?: number }).code !== UNIMPLEMENTED) throw err;
  }
  const missing = SEARCH_ATTRIBUTES.map((a) => a.key).filter((key) => !known.has(key.name));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
}

/** The same attributes as `temporal server start-dev --search-attribute` flags. */
export function searchAttributeFlags(): string[] {
  return SEARCH_ATTRIBUTES.flatMap(({ key }) => ['--search-attribute', `${key.name}=Keyword`]);
}

/**
 * docs/search-attributes.md: the list an operator registers by hand (Temporal Cloud, a server the
 * worker may not change), generated from the one in code (`npx tsx scripts/search-attributes-doc.ts`).
 */
export function searchAttributesDoc(): string {
  const names = SEARCH_ATTRIBUTES.map(({ key }) => key.name);
  return [
    '# Search attributes',
    '',
    '<!-- Generated from src/workflows/search-attributes.ts by `npx tsx scripts/search-attributes-doc.ts`; test/unit/search-attributes.test.ts keeps it so. -->',
    '',
    `cellshift sets ${names.length} search attributes, all of type Keyword. A worker registers the missing ones on its`,
    'namespace when it starts; where it may not (Temporal Cloud, a server whose operator API is closed to it), register them once by hand.',
    '',
    '| name | type | set on | holds |',
    '| --- | --- | --- | --- |',
    ...SEARCH_ATTRIBUTES.map(({ key, on, holds }) => `| \`${key.name}\` | Keyword | ${on} | ${holds} |`),
    '',
    'With the Temporal CLI, against your server:',
    '',
    '```sh',
    `temporal operator search-attribute create --namespace "$TEMPORAL_NAMESPACE" ${names.map((n) => `--name ${n} --type Keyword`).join(' ')}`,
    '```',
    '',
    'With `tcld`, on Temporal Cloud:',
    '',
    '```sh',
    ...names.map((n) => `tcld namespace search-attributes add --namespace "$TEMPORAL_NAMESPACE" --search-attribute "${n}=Keyword"`),
    '```',
    '',
  ].join('\n');
}
