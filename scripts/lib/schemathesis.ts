import { ensurePythonTool } from './python-tool';

export const SCHEMATHESIS_VERSION = '4.32.5';

/** schemathesis, the OpenAPI conformance fuzzer the tests run against the live API. Returns the `st` path. */
export function ensureSchemathesis(log: (line: string) => void = (l) => console.error(l)): string {
  return ensurePythonTool({ name: 'schemathesis', requirement: `schemathesis==${SCHEMATHESIS_VERSION}`, executable: 'st' }, log);
}
