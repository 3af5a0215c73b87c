import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

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
  const missing = SEARCH_ATTRIBUTES.filter((key) => !known.has(key.name));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
}

/** The same attributes as `temporal server start-dev --search-attribute` flags. */
export function searchAttributeFlags(): string[] {
  return SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]);
}
