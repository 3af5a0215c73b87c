// The AWS stack adapter against moto's CloudFormation: describe, an idempotent change set from a
// file:// template, execute (twice), wait. moto completes every transition within the call and
// never fails or rolls back, so failure handling is covered by the simulated stack's tests and
// the pure failureReasons below.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStackResourcesCommand,
  GetTemplateCommand,
  ListChangeSetsCommand,
} from '@aws-sdk/client-cloudformation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type Moto } from '../scripts/lib/moto';
import { AwsStack, credentialsFor } from '../src/adapters/aws/stack';
import { failureReasons } from '../src/adapters/stack-status';
import type { StackTarget, StepContext } from '../src/domain/ports';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const STACK = 'cell-a-infra';

let moto: Moto;
let proxy: Awaited<ReturnType<typeof startProxy>>;
let cfn: CloudFormationClient;
const stacks = new AwsStack({ pollIntervalMs: 50, env: stacksEnv() });

function target(stackName = STACK, endpoint = proxy.endpoint): StackTarget {
  return { cellId: 'cell-a', stack: { kind: 'aws', region: 'us-east-1', stackName, endpoint, credentialsRef: 'cell-a' } };
}

function ctx(): StepContext & { beats: unknown[] } {
  const beats: unknown[] = [];
  return { beats, heartbeat: (d) => beats.push(d), signal: new AbortController().signal };
}

beforeAll(async () => {
  moto = await startMoto(); // no skip: a test run without moto is a failed run
  proxy = await startProxy(moto.endpoint);
  cfn = new CloudFormationClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: CREDENTIALS });
  await cfn.send(
    new CreateStackCommand({
      StackName: STACK,
      TemplateBody: readFileSync(join(FIXTURES, 'stack-v1.json'), 'utf8'),
      Parameters: [{ ParameterKey: 'Environment', ParameterValue: 'staging' }],
      Tags: [{ Key: 'Owner', Value: 'platform' }],
    }),
  );
});

afterAll(async () => {
  cfn?.destroy();
  await proxy?.close();
  await moto?.stop();
});

describe('against moto', () => {
  const v2 = { templateVersion: '2', templateUrl: pathToFileURL(join(FIXTURES, 'stack-v2.json')).href };

  it('describes the stack with its template version', async () => {
    const state = await stacks.describe(target(), ctx());
    expect(state).toMatchObject({
      stackName: STACK,
      status: 'CREATE_COMPLETE',
      templateVersion: '1',
      outputs: { TemplateVersion: '1' },
      parameters: { Environment: 'staging' },
      tags: { Owner: 'platform' },
    });
  });

  it('prepares a change set from a file:// template, once', async () => {
    const first = await stacks.prepareChangeSet(target(), v2, ctx());
    expect(first.changeSetName).toBe('cellshift-2');
    expect(first.status).toBe('CREATE_COMPLETE');
    expect(first.changes).toContainEqual(expect.objectContaining({ action: 'Add', logicalId: 'Jobs', resourceType: 'AWS::SQS::Queue' }));

    const again = await stacks.prepareChangeSet(target(), v2, ctx());
    expect(again).toEqual(first);
    const { Summaries } = await cfn.send(new ListChangeSetsCommand({ StackName: STACK }));
    expect(Summaries?.map((s) => s.ChangeSetName)).toEqual(['cellshift-2']);
  });

  // moto refuses such a change set outright ("No updates are to be performed."), where AWS creates
  // it FAILED; either way the summary has no changes, and the caller has nothing to execute.
  it('a change set to the template the stack runs lists no changes', async () => {
    const v1 = { templateVersion: '1', templateUrl: pathToFileURL(join(FIXTURES, 'stack-v1.json')).href };
    const summary = await stacks.prepareChangeSet(target(), v1, ctx());
    expect(summary).toEqual({ changeSetName: 'cellshift-1', status: 'FAILED', changes: [] });
  });

  it('executes it, waits for the update, and executing again changes nothing', async () => {
    await stacks.executeChangeSet(target(), 'cellshift-2', ctx());
    const wait = ctx();
    const state = await stacks.waitForUpdate(target(), wait);
    expect(state).toMatchObject({ stackName: STACK, status: 'UPDATE_COMPLETE', parameters: { Environment: 'staging' } });
    expect(wait.beats).toContainEqual({ status: 'UPDATE_COMPLETE' });

    // moto 5.2.5's ExecuteChangeSet applies the change set's resources and template but, unlike its
    // UpdateStack, neither re-evaluates the outputs nor applies the tags: the stack keeps reporting
    // TemplateVersion 1 there. So the update is checked where moto does record it.
    const { TemplateBody } = await cfn.send(new GetTemplateCommand({ StackName: STACK }));
    expect(JSON.parse(TemplateBody!).Outputs.TemplateVersion.Value).toBe('2');
    const { StackResources } = await cfn.send(new DescribeStackResourcesCommand({ StackName: STACK }));
    expect(StackResources?.map((r) => r.LogicalResourceId).sort()).toEqual(['Config', 'Jobs']);
    const changeSet = await cfn.send(new DescribeChangeSetCommand({ StackName: STACK, ChangeSetName: 'cellshift-2' }));
    expect(changeSet.ExecutionStatus).toBe('EXECUTE_COMPLETE');
    expect(changeSet.Parameters).toEqual([expect.objectContaining({ ParameterKey: 'Environment', ParameterValue: 'staging' })]);
    // moto does not return a change set's tags either: read what the adapter asked for.
    const create = proxy.requests.find((r) => r.get('Action') === 'CreateChangeSet' && r.get('ChangeSetName') === 'cellshift-2')!;
    expect(Object.fromEntries([...create.entries()].filter(([k]) => /^(Tags|Parameters)\.|^ChangeSetType$|^UsePreviousTemplate$/.test(k)))).toEqual({
      ChangeSetType: 'UPDATE',
      UsePreviousTemplate: 'false',
      'Parameters.member.1.ParameterKey': 'Environment',
      'Parameters.member.1.UsePreviousValue': 'true',
      'Tags.member.1.Key': 'Owner',
      'Tags.member.1.Value': 'platform',
      'Tags.member.2.Key': 'TemplateVersion',
      'Tags.member.2.Value': '2',
    });

    const eventsBefore = (await cfn.send(new DescribeStackEventsCommand({ StackName: STACK }))).StackEvents?.length;
    await stacks.executeChangeSet(target(), 'cellshift-2', ctx());
    const eventsAfter = (await cfn.send(new DescribeStackEventsCommand({ StackName: STACK }))).StackEvents?.length;
    expect(eventsAfter).toBe(eventsBefore);
    expect((await stacks.waitForUpdate(target(), ctx())).status).toBe('UPDATE_COMPLETE');
  });

  it('an unknown stack or change set is a non-retryable error', async () => {
    await expect(stacks.describe(target('no-such-stack'), ctx())).rejects.toMatchObject({ type: 'StackNotFound', nonRetryable: true });
    await expect(stacks.executeChangeSet(target(), 'cellshift-9', ctx())).rejects.toMatchObject({ type: 'ChangeSetNotFound', nonRetryable: true });
  });

  it('retries throttled calls inside the adapter', async () => {
    proxy.throttleNext(2);
    const state = await new AwsStack({ env: stacksEnv() }).describe(target(), ctx());
    expect(state.stackName).toBe(STACK);
    expect(proxy.throttled).toBe(2);
  });
});

/**
 * The adapter's way to moto: records each request's form body, and answers the next N with
 * CloudFormation's Throttling error instead of forwarding them.
 */
async function startProxy(upstream: string) {
  const state = { requests: [] as URLSearchParams[], throttled: 0, toThrottle: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      state.requests.push(new URLSearchParams(body.toString()));
      if (state.toThrottle > 0) {
        state.toThrottle--;
        state.throttled++;
        res.writeHead(400, { 'content-type': 'text/xml' });
        res.end('<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>x</RequestId></ErrorResponse>');
        return;
      }
      const answer = await fetch(upstream + req.url, {
        method: req.method,
        headers: { 'content-type': req.headers['content-type'] ?? '', authorization: req.headers.authorization ?? '' },
        body,
      });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/xml' });
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    get requests() {
      return state.requests;
    },
    get throttled() {
      return state.throttled;
    },
    throttleNext(n: number) {
      state.toThrottle = n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('without moto', () => {
  it('credentials come from the named env variables, and a missing one fails', () => {
    const ref = { kind: 'aws' as const, region: 'eu-west-1', stackName: 's', credentialsRef: 'acme-prod.eu' };
    expect(credentialsFor(ref, { CELLSHIFT_AWS_ACME_PROD_EU_ACCESS_KEY_ID: 'AK', CELLSHIFT_AWS_ACME_PROD_EU_SECRET_ACCESS_KEY: 'SK' })).toEqual({
      accessKeyId: 'AK',
      secretAccessKey: 'SK',
      sessionToken: undefined,
    });
    expect(credentialsFor({ ...ref, credentialsRef: undefined }, {})).toBeUndefined(); // the SDK's default chain
    expect(() => credentialsFor(ref, {})).toThrow(/CELLSHIFT_AWS_ACME_PROD_EU_ACCESS_KEY_ID/);
  });

  it('a template URL that is neither http(s) nor file is refused before any call to AWS', async () => {
    const unreachable = target('s', 'http://127.0.0.1:9');
    await expect(stacks.prepareChangeSet(unreachable, { templateVersion: '3', templateUrl: 's3://bucket/t.json' }, ctx())).rejects.toMatchObject({
      type: 'InvalidTemplateUrl',
      nonRetryable: true,
    });
  });

  it('failure reasons name the failing resources of the newest update only', () => {
    const stack = (status: string, reason?: string) => ({ logicalId: STACK, isStack: true, status, reason });
    const resource = (logicalId: string, status: string, reason?: string) => ({ logicalId, isStack: false, status, reason });
    // newest first, as DescribeStackEvents returns them
    const events = [
      stack('UPDATE_ROLLBACK_COMPLETE'),
      resource('LaunchTemplate', 'UPDATE_COMPLETE'),
      stack('UPDATE_ROLLBACK_IN_PROGRESS', 'The following resource(s) failed to update: [LaunchTemplate].'),
      resource('NodeGroup', 'UPDATE_FAILED', 'Resource update cancelled'),
      resource('LaunchTemplate', 'UPDATE_FAILED', 'Resource handler returned message: "Invalid AMI"'),
      resource('LaunchTemplate', 'UPDATE_IN_PROGRESS'),
      stack('UPDATE_IN_PROGRESS', 'User Initiated'),
      resource('OldThing', 'UPDATE_FAILED', 'an earlier update'),
      stack('UPDATE_IN_PROGRESS'),
    ];
    expect(failureReasons(events)).toEqual(['LaunchTemplate: Resource handler returned message: "Invalid AMI"']);
    expect(failureReasons(events.filter((e) => e.logicalId !== 'LaunchTemplate'))).toEqual(['NodeGroup: Resource update cancelled']);
    expect(failureReasons([stack('UPDATE_ROLLBACK_FAILED', 'rollback failed'), stack('UPDATE_IN_PROGRESS')])).toEqual(['rollback failed']);
  });
});

/** The env the adapter reads credentialsRef `cell-a` from (moto takes any key). */
function stacksEnv() {
  return { CELLSHIFT_AWS_CELL_A_ACCESS_KEY_ID: 'testing', CELLSHIFT_AWS_CELL_A_SECRET_ACCESS_KEY: 'testing' };
}
