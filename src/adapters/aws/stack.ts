import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  type Capability,
  type DescribeChangeSetCommandOutput,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { ErrorType, PortError } from '../../domain/errors';
import type { ChangeSetSummary, StackChange, StackPort, StackRef, StackState, StackTarget, StepContext } from '../../domain/ports';
import { changeSetName, failureReasons, isNoChanges, updateOutcome, type StackEventLike } from '../stack-status';

type AwsStackRef = Extract<StackRef, { kind: 'aws' }>;

export interface AwsStackOptions {
  /** how often waits ask CloudFormation (default 5 s; a stack update takes minutes) */
  pollIntervalMs?: number;
  /** attempts per API call, throttling included (default 10) */
  maxAttempts?: number;
  /** capabilities every change set acknowledges (default IAM and named IAM: cellshift's templates create roles) */
  capabilities?: Capability[];
  /** where credentials are looked up (default process.env) */
  env?: NodeJS.ProcessEnv;
}

/** TemplateBody's limit; a larger template must come from a URL CloudFormation can read. */
const TEMPLATE_BODY_LIMIT = 51_200;
/** Pages of stack events read to find the newest update's start, at most. */
const EVENT_PAGES = 10;

/**
 * A cell's CloudFormation stack, changed only through change sets named after the template
 * version, so every call can be repeated. Credentials are resolved here from the StackRef's
 * `credentialsRef`, never carried in workflow arguments.
 */
export class AwsStack implements StackPort {
  private readonly clients = new Map<string, CloudFormationClient>();
  private readonly pollIntervalMs: number;

  constructor(private readonly options: AwsStackOptions = {}) {
    this.pollIntervalMs = options.pollIntervalMs ?? 5_000;
  }

  async describe(target: StackTarget, ctx: StepContext): Promise<StackState> {
    const ref = awsRef(target);
    return toState(await this.stack(ref, ctx));
  }

  async prepareChangeSet(target: StackTarget, template: { templateVersion: string; templateUrl: string }, ctx: StepContext): Promise<ChangeSetSummary> {
    const ref = awsRef(target);
    const client = this.client(ref);
    const name = changeSetName(template.templateVersion);
    const url = templateUrl(template.templateUrl); // a bad URL fails before any call to AWS
    const existing = await this.findChangeSet(ref, name, ctx);
    if (existing && (existing.Status === 'FAILED' || existing.ExecutionStatus === 'EXECUTE_FAILED' || existing.ExecutionStatus === 'OBSOLETE')) {
      // One that can no longer run, left by an earlier update of this version: made again, since
      // the template behind the URL or the stack may have changed since.
      await client.send(new DeleteChangeSetCommand({ StackName: ref.stackName, ChangeSetName: name }), { abortSignal: ctx.signal });
    } else if (existing) {
      return this.settleChangeSet(ref, name, ctx);
    }
    const stack = await this.stack(ref, ctx);
    const tags = (stack.Tags ?? []).filter((t) => t.Key !== 'TemplateVersion');
    try {
      await client.send(
        new CreateChangeSetCommand({
          StackName: ref.stackName,
          ChangeSetName: name,
          // Explicit: an update of the existing stack (moto, for one, defaults to CREATE).
          ChangeSetType: 'UPDATE',
          ...(await templateSource(url)),
          UsePreviousTemplate: false,
          Parameters: (stack.Parameters ?? []).map((p) => ({ ParameterKey: p.ParameterKey, UsePreviousValue: true })),
          // Tags given on an update replace the stack's: keep them all, with the new version.
          Tags: [...tags, { Key: 'TemplateVersion', Value: template.templateVersion }],
          Capabilities: this.options.capabilities ?? ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
          Description: `cellshift: template version ${template.templateVersion}`,
        }),
        { abortSignal: ctx.signal },
      );
    } catch (err) {
      // Some endpoints (moto) refuse a change set that changes nothing outright instead of failing it.
      if (isNoChanges((err as Error).message)) return { changeSetName: name, status: 'FAILED', changes: [] };
      // A concurrent attempt created it first: wait for that one.
      if ((err as Error).name !== 'AlreadyExistsException') throw err;
    }
    return this.settleChangeSet(ref, name, ctx);
  }

  async executeChangeSet(target: StackTarget, name: string, ctx: StepContext): Promise<void> {
    const ref = awsRef(target);
    let changeSet = await this.findChangeSet(ref, name, ctx);
    if (!changeSet) throw new PortError(ErrorType.ChangeSetNotFound, `change set ${name} of stack ${ref.stackName} does not exist`, true);
    if (changeSet.Status === 'CREATE_PENDING' || changeSet.Status === 'CREATE_IN_PROGRESS') {
      await this.settleChangeSet(ref, name, ctx);
      changeSet = (await this.findChangeSet(ref, name, ctx))!;
    }
    switch (changeSet.ExecutionStatus) {
      case 'EXECUTE_COMPLETE':
      case 'EXECUTE_IN_PROGRESS':
      case 'EXECUTE_FAILED': // it ran; waitForUpdate reports how it ended
        return;
      case 'AVAILABLE':
        // No ClientRequestToken: a change set made again under the same name must not pass for a
        // repeat of the old one's request. A racing second call fails and its retry lands above.
        await this.client(ref).send(new ExecuteChangeSetCommand({ StackName: ref.stackName, ChangeSetName: name }), { abortSignal: ctx.signal });
        return;
      case 'OBSOLETE':
        throw new PortError(ErrorType.ChangeSetObsolete, `change set ${name} of stack ${ref.stackName} is obsolete: another change set ran since`, true);
      default:
        if (changeSet.Status === 'FAILED' && isNoChanges(changeSet.StatusReason)) return; // nothing to execute
        throw new PortError(
          ErrorType.ChangeSetNotExecutable,
          `change set ${name} of stack ${ref.stackName} cannot run: ${changeSet.Status} ${changeSet.ExecutionStatus ?? ''} ${changeSet.StatusReason ?? ''}`.trim(),
          true,
        );
    }
  }

  async waitForUpdate(target: StackTarget, ctx: StepContext): Promise<StackState> {
    const ref = awsRef(target);
    for (;;) {
      const stack = await this.stack(ref, ctx);
      const status = stack.StackStatus ?? 'UNKNOWN';
      ctx.heartbeat({ status });
      const outcome = updateOutcome(status);
      if (outcome === 'complete') return toState(stack);
      if (outcome === 'failed') {
        const reasons = await this.failureReasons(ref, ctx);
        if (reasons.length === 0 && stack.StackStatusReason) reasons.push(stack.StackStatusReason);
        throw new PortError(ErrorType.StackUpdateFailed, `stack ${ref.stackName} ended in ${status}: ${reasons.join('; ') || 'no reason given'}`, true);
      }
      await sleep(this.pollIntervalMs, undefined, { signal: ctx.signal });
    }
  }

  private async stack(ref: AwsStackRef, ctx: StepContext): Promise<Stack> {
    try {
      const { Stacks } = await this.client(ref).send(new DescribeStacksCommand({ StackName: ref.stackName }), { abortSignal: ctx.signal });
      if (Stacks?.[0]) return Stacks[0];
    } catch (err) {
      if (!/does not exist/.test((err as Error).message)) throw err;
    }
    throw new PortError(ErrorType.StackNotFound, `stack ${ref.stackName} does not exist in ${ref.region}`, true);
  }

  /** The change set's first page, or undefined when there is none by that name. */
  private async findChangeSet(ref: AwsStackRef, name: string, ctx: StepContext): Promise<DescribeChangeSetCommandOutput | undefined> {
    try {
      return await this.client(ref).send(new DescribeChangeSetCommand({ StackName: ref.stackName, ChangeSetName: name }), { abortSignal: ctx.signal });
    } catch (err) {
      const { name: type, message } = err as Error;
      if (type === 'ChangeSetNotFoundException' || type === 'ChangeSetNotFound') return undefined;
      // moto answers a missing change set with ValidationError "Stack with id <change set> does not exist".
      if (type === 'ValidationError' && message.includes(`${name} does not exist`)) return undefined;
      throw err;
    }
  }

  /** Waits until the change set is created (or found to change nothing), then lists every change. */
  private async settleChangeSet(ref: AwsStackRef, name: string, ctx: StepContext): Promise<ChangeSetSummary> {
    for (;;) {
      const first = await this.findChangeSet(ref, name, ctx);
      if (!first) throw new PortError(ErrorType.ChangeSetNotFound, `change set ${name} of stack ${ref.stackName} disappeared`);
      ctx.heartbeat({ changeSet: name, status: first.Status });
      if (first.Status === 'FAILED') {
        if (isNoChanges(first.StatusReason)) return { changeSetName: name, status: first.Status, changes: [] };
        throw new PortError(ErrorType.ChangeSetFailed, `change set ${name} of stack ${ref.stackName} failed: ${first.StatusReason ?? 'no reason given'}`, true);
      }
      if (first.Status === 'CREATE_COMPLETE') {
        const changes = toChanges(first);
        for (let token = first.NextToken; token; ) {
          const page = await this.client(ref).send(
            new DescribeChangeSetCommand({ StackName: ref.stackName, ChangeSetName: name, NextToken: token }),
            { abortSignal: ctx.signal },
          );
          changes.push(...toChanges(page));
          token = page.NextToken;
        }
        return { changeSetName: name, status: first.Status, changes };
      }
      if (first.Status?.startsWith('DELETE')) throw new PortError(ErrorType.ChangeSetNotFound, `change set ${name} of stack ${ref.stackName} is being deleted`);
      await sleep(Math.min(this.pollIntervalMs, 2_000), undefined, { signal: ctx.signal });
    }
  }

  private async failureReasons(ref: AwsStackRef, ctx: StepContext): Promise<string[]> {
    const events: StackEventLike[] = [];
    let token: string | undefined;
    for (let page = 0; page < EVENT_PAGES; page++) {
      const out = await this.client(ref).send(new DescribeStackEventsCommand({ StackName: ref.stackName, NextToken: token }), { abortSignal: ctx.signal });
      for (const e of out.StackEvents ?? []) {
        events.push({
          logicalId: e.LogicalResourceId ?? '?',
          isStack: e.ResourceType === 'AWS::CloudFormation::Stack' && e.LogicalResourceId === ref.stackName,
          status: e.ResourceStatus ?? '',
          reason: e.ResourceStatusReason,
        });
      }
      token = out.NextToken;
      if (!token || events.some((e) => e.isStack && e.status === 'UPDATE_IN_PROGRESS')) break;
    }
    return failureReasons(events);
  }

  private client(ref: AwsStackRef): CloudFormationClient {
    const key = JSON.stringify([ref.region, ref.endpoint, ref.credentialsRef]);
    let client = this.clients.get(key);
    if (!client) {
      client = new CloudFormationClient({
        region: ref.region,
        endpoint: ref.endpoint,
        credentials: credentialsFor(ref, this.options.env ?? process.env),
        // Throttling (Throttling, ThrottlingException, TooManyRequestsException, …) is retried by
        // the SDK's standard retry strategy, with exponential backoff and jitter; more attempts
        // than its default 3, because a fleet-wide rollout shares the account's API rate.
        retryMode: 'standard',
        maxAttempts: this.options.maxAttempts ?? 10,
      });
      this.clients.set(key, client);
    }
    return client;
  }
}

/**
 * `CELLSHIFT_AWS_<REF>_ACCESS_KEY_ID` / `_SECRET_ACCESS_KEY` (and optional `_SESSION_TOKEN`), REF
 * being credentialsRef upper-cased with non-alphanumerics as `_`; without a credentialsRef, the
 * SDK's default chain. A named ref without its variables fails rather than falling back to the
 * worker's own identity.
 */
export function credentialsFor(ref: AwsStackRef, env: NodeJS.ProcessEnv) {
  if (!ref.credentialsRef) return undefined;
  const prefix = `CELLSHIFT_AWS_${ref.credentialsRef.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  const accessKeyId = env[`${prefix}_ACCESS_KEY_ID`];
  const secretAccessKey = env[`${prefix}_SECRET_ACCESS_KEY`];
  if (!accessKeyId || !secretAccessKey) {
    throw new PortError(ErrorType.CredentialsNotFound, `credentials "${ref.credentialsRef}": set ${prefix}_ACCESS_KEY_ID and ${prefix}_SECRET_ACCESS_KEY on the worker`, true);
  }
  return { accessKeyId, secretAccessKey, sessionToken: env[`${prefix}_SESSION_TOKEN`] || undefined };
}

function templateUrl(templateUrl: string): URL {
  let url: URL;
  try {
    url = new URL(templateUrl);
  } catch {
    throw new PortError(ErrorType.InvalidTemplateUrl, `template URL ${templateUrl} is not a URL`, true);
  }
  if (!['https:', 'http:', 'file:'].includes(url.protocol)) {
    throw new PortError(ErrorType.InvalidTemplateUrl, `template URL ${templateUrl}: only http(s) and file URLs are supported`, true);
  }
  return url;
}

/** http(s) URLs go to CloudFormation as they are; a file:// template is read here and sent as the body. */
async function templateSource(url: URL): Promise<{ TemplateURL: string } | { TemplateBody: string }> {
  if (url.protocol !== 'file:') return { TemplateURL: url.href };
  const path = fileURLToPath(url);
  let body: string;
  try {
    body = await readFile(path, 'utf8');
  } catch (err) {
    throw new PortError(ErrorType.TemplateNotFound, `template ${path} cannot be read on this worker: ${(err as Error).message}`, true);
  }
  if (Buffer.byteLength(body) > TEMPLATE_BODY_LIMIT) {
    throw new PortError(ErrorType.TemplateTooLarge, `template ${path} is over ${TEMPLATE_BODY_LIMIT} bytes: publish it at an https URL (S3) instead`, true);
  }
  return { TemplateBody: body };
}

function awsRef(target: StackTarget): AwsStackRef {
  if (target.stack.kind !== 'aws') throw new PortError(ErrorType.InvalidStackRef, `cell ${target.cellId}: not an AWS stack (${target.stack.kind})`, true);
  return target.stack;
}

function toState(stack: Stack): StackState {
  const outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  const parameters = Object.fromEntries((stack.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? '']));
  const tags = Object.fromEntries((stack.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  return {
    stackName: stack.StackName ?? '',
    status: stack.StackStatus ?? 'UNKNOWN',
    templateVersion: outputs.TemplateVersion ?? tags.TemplateVersion,
    outputs,
    parameters,
    tags,
  };
}

function toChanges(out: DescribeChangeSetCommandOutput): StackChange[] {
  return (out.Changes ?? []).flatMap((c) =>
    c.ResourceChange
      ? [
          {
            action: c.ResourceChange.Action ?? 'Unknown',
            logicalId: c.ResourceChange.LogicalResourceId ?? '?',
            resourceType: c.ResourceChange.ResourceType ?? '?',
            ...(c.ResourceChange.Replacement ? { replacement: c.ResourceChange.Replacement } : {}),
          },
        ]
      : [],
  );
}
