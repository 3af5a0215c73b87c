// The API against its own OpenAPI document, checked by schemathesis (a fuzzer generated clients'
// authors use): every answer's status is one the document declares for the route, its content
// type and body match, nothing a client sends yields a 5xx, and a method a path does not have is
// 405 with an Allow header naming the ones it has.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSchemathesis } from '../scripts/lib/schemathesis';
import { Harness, TOKENS } from './helpers/harness';

describe('the API conforms to its OpenAPI document', () => {
  let h: Harness;
  beforeAll(async () => {
    // An empty catalog: workflow ids are the namespace's, and other files run rollouts and vetoes of
    // the demo releases at the same time. Fuzzed requests naming a release get 404/422 here, never
    // start a rollout, a veto or an update that another file's could meet.
    h = await Harness.start({ releases: [] });
  });
  afterAll(() => h?.stop());

  it('schemathesis finds no answer the document does not declare, and no server error', { timeout: 600_000 }, async () => {
    const st = ensureSchemathesis();
    const args = [
      'run', `${h.baseUrl}/docs/json`,
      '--url', h.baseUrl,
      '-H', `Authorization: Bearer ${TOKENS.admin}`,
      '--checks', 'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,unsupported_method,allow_header_conformance',
      '--phases', 'examples,coverage,fuzzing',
      '--max-examples', '8',
      '--seed', '20261203',
      '--workers', '1',
      '--request-timeout', '30',
      '--suppress-health-check', 'all',
      '--generation-deterministic',
      '--no-color',
      '--warnings', 'off',
    ];
    const run = await new Promise<{ code: number; out: string }>((resolve) =>
      execFile(st, args, { timeout: 540_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, SCHEMATHESIS_HOOKS: '' } }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}\n${stderr}` }),
      ),
    );
    expect(run.code, run.out.slice(-20_000)).toBe(0);
    expect(run.out).toMatch(/\d+ passed/);
  });
});
