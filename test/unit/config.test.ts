import { describe, expect, it } from 'vitest';
import { changeNeedsMaintenance, declarationProblems, effectiveConfig, findReferences, referenceProblems, renderManifests, secretReferences, type ConfigItem } from '../../src/domain/config';
import { configHold } from '../../src/domain/config-hold';
import { releaseProblems } from '../../src/domain/release-checks';
import { parseAssignment } from '../../src/cli/config-assignment';

const items: ConfigItem[] = [
  { name: 'domain', type: 'string', setBy: 'customer', required: true },
  { name: 'replicas', type: 'number', setBy: 'operator', default: 2, maintenance: true },
  { name: 'sso', type: 'boolean', setBy: 'customer', default: false },
  { name: 'tier', type: 'enum', setBy: 'operator', values: ['small', 'large'], default: 'small' },
  { name: 'dbPassword', type: 'secret', setBy: 'customer' },
  { name: 'bucket', type: 'string', setBy: 'stack', output: 'BucketName', required: true },
  { name: 'smtpHost', type: 'string', setBy: 'operator', renamedFrom: ['mailHost'] },
];

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'server' },
  spec: {
    replicas: '${{ config.replicas }}',
    template: {
      spec: {
        containers: [
          {
            name: 'server',
            args: ['--url=https://${{config.domain}}/', '--bucket', '${{ config.bucket }}', 'echo $${{ config.domain }} "${HOME}" {{ .Values.x }}'],
            env: [
              { name: 'SSO', value: '${{ config.sso }}' },
              { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: '${{ config.dbPassword.name }}', key: '${{ config.dbPassword.key }}' } } },
            ],
          },
        ],
      },
    },
  },
};

describe('configuration per cell', () => {
  it('renders each reference with the cell’s value, typed where it is the whole string, and leaves shell and Helm text alone', () => {
    const { values, missing } = effectiveConfig(items, { domain: 'acme.example.com', replicas: 5, dbPassword: { secret: { name: 'db', key: 'password' } }, mailHost: 'smtp.acme' }, { BucketName: 'acme-bucket' });
    expect(missing).toEqual([]);
    expect(values.smtpHost).toBe('smtp.acme'); // carried forward from its former name
    const [rendered] = renderManifests([deployment], values) as [typeof deployment & { spec: { replicas: unknown } }];
    expect(rendered.spec.replicas).toBe(5);
    const container = rendered.spec.template.spec.containers[0];
    expect(container.args).toEqual(['--url=https://acme.example.com/', '--bucket', 'acme-bucket', 'echo ${{ config.domain }} "${HOME}" {{ .Values.x }}']);
    expect(container.env[0].value).toBe(false);
    expect(container.env[1].valueFrom!.secretKeyRef).toEqual({ name: 'db', key: 'password' });
    expect(secretReferences(items, values)).toEqual([{ item: 'dbPassword', name: 'db', key: 'password' }]);
  });

  it('names every required item a cell lacks, with why, and takes defaults for the rest', () => {
    const { values, missing } = effectiveConfig(items, { replicas: 'three' }, {});
    expect(missing.map((m) => m.item)).toEqual(['domain', 'dbPassword', 'bucket']);
    expect(missing.find((m) => m.item === 'bucket')!.reason).toContain('BucketName');
    expect(values.replicas).toBe(2); // a value of the wrong type is not taken
    expect(configHold([{ version: '2.0.0', config: items }], ['2.0.0'], 'acme', {})).toMatch(/lacks configuration release 2.0.0 requires: domain .*dbPassword/);
    expect(configHold([{ version: '2.0.0', config: items }], ['2.0.0'], 'acme', { domain: 'a.example', dbPassword: { secret: { name: 'db', key: 'p' } } })).toBeUndefined();
  });

  it('asks for maintenance mode only when an item that says so changes', () => {
    expect(changeNeedsMaintenance(items, { replicas: 2, domain: 'a' }, { replicas: 2, domain: 'b' })).toBe(false);
    expect(changeNeedsMaintenance(items, { replicas: 2 }, { replicas: 3 })).toBe(true);
  });

  it('refuses at publish a malformed reference, one to an undeclared item, and a secret referred to whole', () => {
    const manifests = [{ data: { a: '${{ config.nope }}', b: '${{ config.dbPassword }}', c: '${{ config.domain', d: '${{ config.replicas.name }}' } }];
    const { references, problems } = findReferences(manifests, 'body.manifests');
    expect(problems).toEqual([{ field: 'body.manifests.0.data.c', reason: expect.stringContaining('malformed') }]);
    const refused = referenceProblems(items, references);
    expect(refused.map((p) => p.field)).toEqual(['body.manifests.0.data.a', 'body.manifests.0.data.b', 'body.manifests.0.data.d']);
  });

  it('refuses a declaration that cannot work, naming the field', () => {
    const bad: ConfigItem[] = [
      { name: 'a', type: 'number', setBy: 'operator', default: 'x' as unknown as number },
      { name: 'b', type: 'enum', setBy: 'operator' },
      { name: 'c', type: 'string', setBy: 'stack' },
      { name: 'd', type: 'secret', setBy: 'customer', default: 'p' },
      { name: 'e', type: 'string', setBy: 'operator', renamedFrom: ['a'] },
    ];
    expect(declarationProblems(bad).map((p) => p.field)).toEqual(['body.config.0.default', 'body.config.1.values', 'body.config.2.output', 'body.config.3.default', 'body.config.4.name']);
    const release = { version: '1.0.0', components: { server: 'x' }, breaking: false, config: items, manifests: [deployment] };
    expect(releaseProblems(release as never, 'body')).toEqual([]);
  });

  it('takes CLI assignments as the items are typed', () => {
    const typed = items.map((i) => ({ ...i, source: 'unset' as const }));
    expect(parseAssignment('replicas=3', typed)).toEqual(['replicas', 3]);
    expect(parseAssignment('domain=3', typed)).toEqual(['domain', '3']);
    expect(parseAssignment('sso=true', typed)).toEqual(['sso', true]);
    expect(parseAssignment('dbPassword=secret:db/password', typed)).toEqual(['dbPassword', { secret: { name: 'db', key: 'password' } }]);
    expect(() => parseAssignment('dbPassword=hunter2', typed)).toThrow(/never the value/);
  });
});
