import { describe, expect, it } from 'vitest';
import { analyze, type Evidence } from '../../src/domain/support-bundle/analyze';
import { redactor, ruleProblem } from '../../src/domain/support-bundle/redact';
import { packBundle } from '../../src/activities/support-bundle/activities';
import { analyzeFile } from '../../src/cli/commands/support-bundle';
import { buildBundle } from '../../src/domain/support-bundle/collect';
import { collectionSpec, fitToCap } from '../../src/domain/support-bundle/spec';

describe('support bundle redaction', () => {
  it('replaces tokens, passwords, keys, addresses and the cell’s own secret values, counting each', () => {
    const { redact, counts } = redactor([{ name: 'ticket', pattern: 'TICKET-\\d+' }], ['s3cr3t-value-planted', 'short']);
    const text = [
      '2026-12-05T10:00:00Z GET /api Authorization: Bearer abcDEF123456.xyz-_~+/=',
      'db url postgres://app:hunter2@db.internal:5432/app',
      'config {"password": "hunter2", "apiKey":"k-123456"} token=tok_998877',
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlMTIz',
      'aws AKIAABCDEFGHIJKLMNOP by ops@example.com from 10.1.2.3 and fe80::1:2:3:4',
      'the secret is s3cr3t-value-planted, and short stays; TICKET-4711',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----',
      'at 12:30:45.123 nothing here is secret',
    ].join('\n');
    const out = redact(text);
    for (const gone of ['abcDEF123456', 'hunter2', 'k-123456', 'tok_998877', 'eyJhbGci', 'AKIAABCDEFGHIJKLMNOP', 'ops@example.com', '10.1.2.3', 'fe80::1:2:3:4', 's3cr3t-value-planted', 'TICKET-4711', 'MIIEow']) {
      expect(out, gone).not.toContain(gone);
    }
    expect(out).toContain('Authorization: Bearer ***');
    expect(out).toContain('postgres://***:***@db.internal');
    expect(out).toContain('short stays');
    expect(out).toContain('at 12:30:45.123 nothing here is secret');
    expect(counts).toMatchObject({ bearer: 1, 'secret-value': 1, ticket: 1, 'private-key': 1, email: 1, ipv4: 1, 'aws-access-key': 1 });
  });

  it('refuses a customer rule that is no regular expression, or matches nothing but emptiness', () => {
    expect(ruleProblem({ name: 'ok', pattern: 'ACME-[0-9]+' })).toBeUndefined();
    expect(ruleProblem({ name: 'bad', pattern: '([' })).toMatch(/not a regular expression/);
    expect(ruleProblem({ name: 'empty', pattern: 'x*' })).toMatch(/empty string/);
    expect(ruleProblem({ name: 'Bad Name', pattern: 'x' })).toMatch(/^name/);
  });
});

describe('support bundle findings', () => {
  const collectedAt = '2026-12-05T12:00:00Z';
  it('names a crash loop, an OOM kill, an image pull failure, an unschedulable pod with what it lacks, failing probes, nodes and certificates, the worst first', () => {
    const evidence: Evidence = {
      collectedAt,
      lastUpdate: { id: 'acme-u3', toVersion: '1.2.0', status: 'rolled-back', steps: [{ name: 'preflight', status: 'succeeded' }, { name: 'verify', status: 'failed', error: 'VerifyFailed: server crash-looping' }] },
      pods: [
        { metadata: { name: 'server-1', namespace: 'acme' }, status: { containerStatuses: [{ name: 'server', restartCount: 7, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'Error', exitCode: 1 } } }] } },
        { metadata: { name: 'worker-1', namespace: 'acme' }, status: { containerStatuses: [{ name: 'worker', restartCount: 2, lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }] } },
        { metadata: { name: 'proxy-1', namespace: 'acme' }, status: { containerStatuses: [{ name: 'proxy', image: 'registry.example/proxy:9', state: { waiting: { reason: 'ImagePullBackOff', message: 'not found' } } }] } },
        { metadata: { name: 'db-0', namespace: 'acme' }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] } },
      ],
      events: [
        { reason: 'FailedScheduling', message: '0/3 nodes are available: 2 Insufficient cpu, 1 Insufficient memory.', involvedObject: { kind: 'Pod', name: 'db-0', namespace: 'acme' } },
        { reason: 'Unhealthy', message: 'Liveness probe failed: HTTP probe failed with statuscode: 500', count: 12, involvedObject: { kind: 'Pod', name: 'server-1', namespace: 'acme' } },
        { reason: 'Unhealthy', message: 'Liveness probe failed: again', involvedObject: { kind: 'Pod', name: 'server-1', namespace: 'acme' } },
      ],
      nodes: [{ metadata: { name: 'node-2' }, status: { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }, { type: 'MemoryPressure', status: 'False' }] } }],
      certificates: [
        { object: 'Secret/acme/tls', subject: 'CN=acme.example', notAfter: '2026-12-10T00:00:00Z' },
        { object: 'Secret/acme/old', subject: 'CN=old.example', notAfter: '2026-12-01T00:00:00Z' },
        { object: 'Secret/acme/fine', subject: 'CN=fine.example', notAfter: '2027-12-01T00:00:00Z' },
      ],
    };
    const findings = analyze(evidence);
    const titles = findings.map((f) => f.title);
    expect(titles[0]).toBe('Update acme-u3 to 1.2.0 rolled-back at step verify');
    expect(findings[0].detail).toBe('VerifyFailed: server crash-looping');
    expect(titles).toContain('Pod/acme/server-1 is crash-looping');
    expect(findings.find((f) => f.analyzer === 'crash-loop')!.detail).toContain('restarted 7 times; last ended Error (exit 1)');
    expect(titles).toContain('Pod/acme/worker-1 was killed for memory');
    expect(titles).toContain('Pod/acme/proxy-1 cannot pull its image');
    expect(titles).toContain('Pod/acme/db-0 cannot be scheduled: not enough cpu, memory');
    expect(findings.filter((f) => f.analyzer === 'probes')).toHaveLength(1);
    expect(titles).toContain('Node/node-2 is not ready');
    expect(titles).toContain('The certificate in Secret/acme/old has expired');
    expect(titles).toContain('The certificate in Secret/acme/tls ends in 4 days');
    expect(titles.some((t) => t.includes('fine'))).toBe(false);
    const order = findings.map((f) => f.severity);
    expect(order).toEqual([...order].sort((a, b) => ['critical', 'warning', 'info'].indexOf(a) - ['critical', 'warning', 'info'].indexOf(b)));
  });

  it('finds nothing in a healthy cell after a successful update', () => {
    expect(analyze({ collectedAt, lastUpdate: { id: 'u1', toVersion: '1.1.0', status: 'succeeded', steps: [] }, pods: [{ metadata: { name: 'ok' }, status: { containerStatuses: [{ name: 'ok', restartCount: 0, ready: true }] } }] })).toEqual([]);
  });
});

describe('support bundle spec', () => {
  it('takes a release’s extension within cellshift’s limits, and keeps what fits under the cap', () => {
    const spec = collectionSpec({ logLines: 1_000_000, maxBytes: 1024, redactions: [{ name: 'r', pattern: 'x' }] }, [{ name: 'c', pattern: 'y' }]);
    expect(spec.logLines).toBe(10_000);
    expect(spec.maxBytes).toBe(1024);
    expect(spec.redactions.map((r) => r.name)).toEqual(['r', 'c']);
    const { kept, leftOut } = fitToCap(
      [
        { path: 'pods.json', text: 'a'.repeat(600) },
        { path: 'logs/big.log', text: 'b'.repeat(600) },
        { path: 'events.json', text: 'c'.repeat(300) },
      ],
      1024,
    );
    expect(kept.map((f) => f.path)).toEqual(['pods.json', 'events.json']);
    expect(leftOut).toEqual(['logs/big.log']);
  });
});

describe('a bundle built from a cell’s evidence', () => {
  const planted = 'planted-secret-Value-42';
  const evidence = {
    cluster: { version: 'v1.36.0', namespace: 'acme' },
    nodes: [{ metadata: { name: 'node-1' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } }],
    workloads: [{ kind: 'Deployment', metadata: { name: 'server' }, spec: { template: { spec: { containers: [{ name: 'server', env: [{ name: 'DB_PASSWORD', value: 'hunter2hunter2' }, { name: 'MODE', value: 'prod' }] }] } } } }],
    pods: [{ metadata: { name: 'server-1', namespace: 'acme' }, status: { containerStatuses: [{ name: 'server', restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off; last said ${planted}` } } }] } }],
    events: [],
    logs: [
      { pod: 'server-1', container: 'server', text: `starting\nconnecting with Authorization: Bearer abcdefghijklmnop\nsecret is ${planted}\n` },
      { pod: 'noisy-1', container: 'noisy', text: 'x'.repeat(200_000) },
    ],
    certificates: [],
    cellshift: { maintenance: { enabled: false } },
    secretValues: [planted, 'hunter2hunter2'],
    errors: [{ collector: 'nodes', error: 'nodes is forbidden: User "system:serviceaccount:acme:agent" cannot list resource "nodes"' }],
  };

  it('holds no secret in any file, names the crash loop and the failed step first, and says what the cap left out', () => {
    const built = buildBundle(evidence, collectionSpec({ maxBytes: 100_000 }), {
      cellId: 'acme',
      collectedAt: '2026-12-05T12:00:00Z',
      collectedBy: 'cell/acme/0.2.0/host',
      lastUpdate: { id: 'acme-u2', toVersion: '1.2.0', status: 'rolled-back', steps: [{ name: 'verify', status: 'failed', error: 'VerifyFailed: server-1 crash-looping' }] },
    });
    for (const file of built.files) {
      for (const secret of [planted, 'hunter2hunter2', 'abcdefghijklmnop']) expect(file.text, `${file.path} holds ${secret}`).not.toContain(secret);
    }
    expect(built.findings[0].title).toBe('Update acme-u2 to 1.2.0 rolled-back at step verify');
    expect(built.findings.map((f) => f.title)).toContain('Pod/acme/server-1 is crash-looping');
    expect(built.manifest.leftOut).toEqual(['logs/noisy-1/noisy.log']);
    expect(built.findings.find((f) => f.title.includes('left out'))?.detail).toBe('logs/noisy-1/noisy.log');
    expect(built.manifest.redactions).toMatchObject({ 'secret-value': 2, bearer: 1, 'secret-named-value': 1 });
    expect(built.files.map((f) => f.path).slice(0, 2)).toEqual(['findings.json', 'manifest.json']);
    expect(built.files.find((f) => f.path === 'installation/workloads.json')!.text).toContain('"prod"');
    expect(built.manifest.errors[0].collector).toBe('nodes');
  });
});

describe('a bundle sent by hand', () => {
  it('`cellshift support-bundle analyze` works out the same findings from the packed bundle', async () => {
    const evidence = {
      cluster: {},
      nodes: [{ metadata: { name: 'node-9' }, status: { conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady' }] } }],
      workloads: [],
      pods: [{ metadata: { name: 'db-0', namespace: 'acme' }, status: { containerStatuses: [{ name: 'db', lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }] } }],
      events: [],
      logs: [],
      certificates: [],
      cellshift: {},
      secretValues: [],
      errors: [],
    };
    const built = buildBundle(evidence, collectionSpec(), { cellId: 'acme', collectedAt: '2026-12-05T12:00:00Z', collectedBy: 'customer by hand' });
    const findings = await analyzeFile(await packBundle(built.files));
    expect(findings.map((f) => f.title)).toEqual(built.findings.map((f) => f.title));
    expect(findings.map((f) => f.title)).toEqual(expect.arrayContaining(['Node/node-9 is not ready', 'Pod/acme/db-0 was killed for memory']));
  });
});
