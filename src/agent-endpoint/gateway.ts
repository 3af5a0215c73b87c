// The agent endpoint: the one thing a cell's agent connects to. A gRPC server (grpc-js) with
// mutual TLS, speaking Temporal's WorkflowService to the agent's SDK worker, that forwards to
// Temporal, with the control plane's own credential, only what that cell's agent may do
// (src/domain/agent-endpoint.ts): poll its own cell's queue as the identity the endpoint sets, and
// answer the tasks it handed to that cell (task tokens MACed to the cell). Nothing is kept here:
// any replica takes any call, and a restart loses nothing Temporal's timeouts do not bring back.
import { createHash, X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import proto from '@temporalio/proto';
import { createRequire } from 'node:module';
import type { AgentCredentials } from '../adapters/agents/credentials';
import type { ReleaseGrants } from '../adapters/agents/release-grants';
import { cellOfCertificate, CsrError } from '../crypto/agent-ca';
import { unwrapTaskToken, wrapTaskToken } from '../crypto/task-tokens';
import { agentTaskQueue } from '../domain/agent';
import { callPolicy, CONFIG_PATH, endpointIdentity, MAX_UPLOADED_BUNDLE_BYTES, namedReleaseDigests, RELEASE_CONTENT_PATH, RELEASE_PATH, RENEW_PATH, SUPPORT_BUNDLE_UPLOAD_PATH, type ForwardedCall } from '../domain/agent-endpoint';
import type { CellConfigStore } from '../adapters/db/cell-config';
import type { SupportBundles } from '../adapters/db/support-bundles';
import type { SupportBundleBlobs } from '../adapters/bundles/support-bundle-blobs';

const ws = proto.temporal.api.workflowservice.v1;
/** The services' reflection (their method names), which the generated classes do not carry. */
const reflection = createRequire(import.meta.url)('@temporalio/proto/protos/json-module.js') as { lookupService(name: string): { methods: Record<string, unknown> } };
const STICKY = proto.temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_STICKY;
const MAX_MESSAGE = 64 * 1024 * 1024;
/** A call the agent sent without a deadline gets the one SDKs give a long poll: Temporal refuses a poll without one. */
const DEFAULT_DEADLINE_MS = 70_000;
/** How long a credential's check is trusted before it is read again: a revocation bites within this. */
const CHECK_TTL_MS = 2_000;

export interface Upstream {
  address: string;
  credentials: grpc.ChannelCredentials;
  channelOptions?: grpc.ChannelOptions;
  /** sent as a bearer token (Temporal Cloud) */
  apiKey?: string;
  namespace: string;
}

export interface AgentEndpointOptions {
  upstream: Upstream;
  credentials: AgentCredentials;
  /** the releases each cell's tasks named: the only ones the endpoint serves it */
  grants: ReleaseGrants;
  /** each cell's configuration values: the endpoint serves a cell its own */
  configs: CellConfigStore;
  /** support bundles being collected in cells, and where their bytes go: a cell uploads its own */
  supportBundles: { records: SupportBundles; blobs: SupportBundleBlobs };
  /** the endpoint's own certificate, issued by the agents' CA for the names agents dial */
  server: { certificatePem: string; privateKeyPem: string };
  host: string;
  port: number;
}

export interface AgentEndpoint {
  port: number;
  close(graceMs?: number): Promise<void>;
}

interface Peer {
  cellId: string;
  serial: string;
}

type Refusal = { code: grpc.status; details: string };
const refused = (code: grpc.status, details: string): Refusal => ({ code, details });

/** Services whose every method an agent is refused by name (PERMISSION_DENIED), rather than told it does not exist. */
const SERVICES = ['temporal.api.workflowservice.v1.WorkflowService', 'temporal.api.operatorservice.v1.OperatorService'];

export async function startAgentEndpoint(options: AgentEndpointOptions): Promise<AgentEndpoint> {
  const { upstream, credentials } = options;
  const temporal = new grpc.Client(upstream.address, upstream.credentials, { ...upstream.channelOptions, 'grpc.max_receive_message_length': MAX_MESSAGE, 'grpc.max_send_message_length': MAX_MESSAGE });
  const checks = new Map<string, { at: number; cellId?: string }>();
  /** calls in flight per credential: ended at once when it is revoked */
  const inFlight = new Map<string, Set<(refusal: Refusal) => void>>();

  async function authenticate(call: Pick<grpc.ServerUnaryCall<Buffer, Buffer>, 'getAuthContext'>): Promise<Peer | Refusal> {
    const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
    if (!raw) return refused(grpc.status.UNAUTHENTICATED, 'a client certificate is required');
    const certificate = new X509Certificate(raw);
    const cellId = cellOfCertificate(certificate);
    if (!cellId) return refused(grpc.status.UNAUTHENTICATED, 'the client certificate names no cell');
    if (new Date(certificate.validTo) <= new Date()) return refused(grpc.status.UNAUTHENTICATED, `the credential of cell ${cellId} expired at ${certificate.validTo}: renew it before it ends, or register again`);
    const serial = certificate.serialNumber;
    if (!(await inForce(serial, cellId))) return refused(grpc.status.UNAUTHENTICATED, `the credential of cell ${cellId} (${serial}) is revoked or unknown: register the agent again with a new bootstrap token`);
    return { cellId, serial };
  }

  async function inForce(serial: string, cellId: string, fresh = false): Promise<boolean> {
    const cached = checks.get(serial);
    if (!fresh && cached && Date.now() - cached.at < CHECK_TTL_MS) return cached.cellId === cellId;
    const current = await credentials.current(serial);
    checks.set(serial, { at: Date.now(), cellId: current?.cellId });
    return current?.cellId === cellId;
  }

  // A revoked credential's calls in flight (long polls above all) end within seconds.
  const sweep = setInterval(() => {
    for (const [serial, calls] of inFlight) {
      const cellId = checks.get(serial)?.cellId;
      void inForce(serial, cellId ?? '', true).then(
        (ok) => {
          if (!ok) for (const end of calls) end(refused(grpc.status.UNAUTHENTICATED, 'the credential was revoked'));
        },
        () => undefined,
      );
    }
  }, CHECK_TTL_MS);

  function forward(path: string, request: Uint8Array, call: grpc.ServerUnaryCall<Buffer, Buffer>, peer: Peer): Promise<Buffer | Refusal> {
    return new Promise((resolve) => {
      const metadata = new grpc.Metadata();
      metadata.set('temporal-namespace', upstream.namespace);
      for (const header of ['client-name', 'client-version']) {
        const value = call.metadata.get(header)[0];
        if (typeof value === 'string') metadata.set(header, value);
      }
      if (upstream.apiKey) metadata.set('authorization', `Bearer ${upstream.apiKey}`);
      let settled = false;
      const calls = inFlight.get(peer.serial) ?? inFlight.set(peer.serial, new Set()).get(peer.serial)!;
      const end = (refusal: Refusal) => {
        if (settled) return;
        settled = true;
        outgoing.cancel();
        done(refusal);
      };
      const done = (result: Buffer | Refusal) => {
        settled = true;
        calls.delete(end);
        if (calls.size === 0) inFlight.delete(peer.serial);
        resolve(result);
      };
      const asked = call.getDeadline();
      const deadline = Math.min(asked instanceof Date ? asked.getTime() : asked, Date.now() + DEFAULT_DEADLINE_MS);
      const outgoing = temporal.makeUnaryRequest(path, (b: Uint8Array) => Buffer.from(b), (b: Buffer) => b, request, metadata, { deadline }, (err, response) => {
        if (settled) return;
        done(err ? refused(err.code, err.details) : response!);
      });
      calls.add(end);
      call.on('cancelled', () => end(refused(grpc.status.CANCELLED, 'cancelled by the agent')));
    });
  }

  /** One forwarded call: the request checked and rewritten for the cell, the answer rewritten for the agent. */
  async function handle(method: ForwardedCall, path: string, body: Buffer, call: grpc.ServerUnaryCall<Buffer, Buffer>, peer: Peer): Promise<Buffer | Refusal> {
    const namespace = upstream.namespace;
    const identity = (claimed: string) => endpointIdentity(peer.cellId, claimed);
    switch (method) {
      case 'GetSystemInfo':
        return forward(path, body, call, peer);
      case 'DescribeNamespace':
        return forward(path, ws.DescribeNamespaceRequest.encode({ namespace }).finish(), call, peer);
      case 'PollActivityTaskQueue': {
        const request = ws.PollActivityTaskQueueRequest.decode(body);
        const queue = agentTaskQueue(peer.cellId);
        if (request.taskQueue?.name !== queue || request.taskQueue.kind === STICKY) {
          return refused(grpc.status.PERMISSION_DENIED, `the agent of cell ${peer.cellId} polls ${queue} only, not ${request.taskQueue?.name ?? 'nothing'}`);
        }
        const answer = await forward(path, ws.PollActivityTaskQueueRequest.encode({ ...request, namespace, identity: identity(request.identity) }).finish(), call, peer);
        if (!Buffer.isBuffer(answer)) return answer;
        const task = ws.PollActivityTaskQueueResponse.decode(answer);
        if (!task.taskToken?.length) return answer; // the long poll ended empty
        // The releases the task names become readable to this cell, before it has the task.
        await options.grants.grant(peer.cellId, namedReleaseDigests(jsonArguments(task.input?.payloads ?? [])));
        return Buffer.from(ws.PollActivityTaskQueueResponse.encode({ ...task, taskToken: wrapTaskToken(credentials.taskTokenKey, peer.cellId, task.taskToken) }).finish());
      }
      case 'RecordActivityTaskHeartbeat':
      case 'RespondActivityTaskCompleted':
      case 'RespondActivityTaskFailed':
      case 'RespondActivityTaskCanceled': {
        const type = ws[`${method}Request`] as unknown as { decode(b: Uint8Array): { taskToken?: Uint8Array | null; identity?: string | null }; encode(m: object): { finish(): Uint8Array } };
        const request = type.decode(body);
        const token = request.taskToken && unwrapTaskToken(credentials.taskTokenKey, peer.cellId, request.taskToken);
        if (!token) return refused(grpc.status.PERMISSION_DENIED, `this task was not handed to the agent of cell ${peer.cellId}`);
        return forward(path, type.encode({ ...request, taskToken: token, namespace, identity: identity(request.identity ?? '') }).finish(), call, peer);
      }
    }
  }

  const server = new grpc.Server({ 'grpc.max_receive_message_length': MAX_MESSAGE, 'grpc.max_send_message_length': MAX_MESSAGE });
  const bytes = (b: Buffer) => b;
  for (const service of SERVICES) {
    const methods = reflection.lookupService(service).methods;
    const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
    const implementation: grpc.UntypedServiceImplementation = {};
    for (const method of Object.keys(methods)) {
      const path = `/${service}/${method}`;
      definition[method] = { path, requestStream: false, responseStream: false, requestSerialize: bytes, requestDeserialize: bytes, responseSerialize: bytes, responseDeserialize: bytes };
      implementation[method] = (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        void (async () => {
          const peer = await authenticate(call);
          if (!('serial' in peer)) return peer;
          const policy = callPolicy(service.endsWith('WorkflowService') ? method : `OperatorService/${method}`);
          if (policy.kind === 'refuse') return refused(grpc.status.PERMISSION_DENIED, policy.reason);
          if (policy.kind === 'answer') return Buffer.alloc(0);
          return handle(policy.call, path, call.request, call, peer);
        })().then(
          (result) => (Buffer.isBuffer(result) ? callback(null, result) : callback({ code: result.code, details: result.details })),
          (err: Error) => callback({ code: grpc.status.INTERNAL, details: `the agent endpoint failed: ${err.message}` }),
        );
      };
    }
    server.addService(definition, implementation);
  }

  // The agent's own credential, renewed over this connection with a new key of its own.
  const json = { serialize: (v: unknown) => Buffer.from(JSON.stringify(v)), deserialize: (b: Buffer) => JSON.parse(b.toString('utf8')) as unknown };
  server.addService(
    { Renew: { path: RENEW_PATH, requestStream: false, responseStream: false, requestSerialize: json.serialize, requestDeserialize: json.deserialize, responseSerialize: json.serialize, responseDeserialize: json.deserialize } },
    {
      Renew: (call: grpc.ServerUnaryCall<{ csr?: unknown }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        void (async () => {
          const peer = await authenticate(call as unknown as grpc.ServerUnaryCall<Buffer, Buffer>);
          if (!('serial' in peer)) return callback({ code: peer.code, details: peer.details });
          if (typeof call.request?.csr !== 'string') return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'csr: a PEM certificate signing request' });
          try {
            const issued = await credentials.issue(peer.cellId, call.request.csr, 'renewal');
            callback(null, { certificate: issued.certificatePem, notAfter: issued.notAfter.toISOString() });
          } catch (err) {
            callback({ code: err instanceof CsrError ? grpc.status.INVALID_ARGUMENT : grpc.status.INTERNAL, details: `csr: ${(err as Error).message}` });
          }
        })();
      },
    },
  );

  // The releases this cell's tasks named, read by the agent's steps (the content checked by its digests there).
  const json2 = <Req, Res>(path: string, run: (peer: Peer, request: Req) => Promise<Res | Refusal>): grpc.MethodDefinition<Req, Res> & { handler: grpc.handleUnaryCall<Req, Res> } => ({
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize as (b: Buffer) => Req,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize as (b: Buffer) => Res,
    handler: (call, callback) => {
      void (async () => {
        const peer = await authenticate(call as unknown as grpc.ServerUnaryCall<Buffer, Buffer>);
        return 'serial' in peer ? run(peer, call.request ?? ({} as Req)) : peer;
      })().then(
        (result) => (result && typeof result === 'object' && 'code' in result && 'details' in result ? callback(result as Refusal) : callback(null, result as Res)),
        (err: Error) => callback({ code: grpc.status.INTERNAL, details: `the agent endpoint failed: ${err.message}` }),
      );
    },
  });
  const notNamed = (peer: Peer, what: string) => refused(grpc.status.PERMISSION_DENIED, `no task of cell ${peer.cellId} named ${what}`);
  const release = json2<{ version?: unknown; digest?: unknown }, unknown>(RELEASE_PATH, async (peer, { version, digest }) => {
    if (typeof version !== 'string' || typeof digest !== 'string') return refused(grpc.status.INVALID_ARGUMENT, 'version and digest, both strings');
    const found = await options.grants.release(peer.cellId, version, digest);
    return found ? { release: found } : notNamed(peer, `release ${version} (${digest})`);
  });
  const content = json2<{ digest?: unknown }, unknown>(RELEASE_CONTENT_PATH, async (peer, { digest }) => {
    if (typeof digest !== 'string') return refused(grpc.status.INVALID_ARGUMENT, 'digest, a string');
    const text = await options.grants.content(peer.cellId, digest);
    return text === undefined ? notNamed(peer, `the manifests ${digest}`) : { content: text };
  });
  server.addService({ Get: release, Content: content }, { Get: release.handler, Content: content.handler });
  // The cell's own configuration (a secret item's is a reference to a Secret in the cell, never its value).
  const config = json2<{ revision?: unknown }, unknown>(CONFIG_PATH, async (peer, { revision }) => {
    if (!Number.isInteger(revision) || (revision as number) < 0) return refused(grpc.status.INVALID_ARGUMENT, 'revision, a whole number');
    const values = await options.configs.at(peer.cellId, revision as number);
    return values ? { values } : refused(grpc.status.NOT_FOUND, `cell ${peer.cellId} has no configuration revision ${revision as number}`);
  });
  server.addService({ Get: config }, { Get: config.handler });

  // A support bundle collected in the cell: its own cell's only, one being collected, whole and as its digest says.
  const upload: grpc.MethodDefinition<Buffer, unknown> = {
    path: SUPPORT_BUNDLE_UPLOAD_PATH,
    requestStream: true,
    responseStream: false,
    requestSerialize: bytes,
    requestDeserialize: bytes,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  };
  server.addService(
    { Upload: upload },
    {
      Upload: (call: grpc.ServerReadableStream<Buffer, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        void (async (): Promise<unknown> => {
          const peer = await authenticate(call);
          if (!('serial' in peer)) return peer;
          const [id, digest, declared] = ['bundle-id', 'digest', 'bytes'].map((key) => String(call.metadata.get(key)[0] ?? ''));
          if (!id.startsWith(`${peer.cellId}/`)) return refused(grpc.status.PERMISSION_DENIED, `bundle ${id || '(none)'} is not one of cell ${peer.cellId}`);
          const record = await options.supportBundles.records.get(id);
          if (record?.status !== 'collecting') return refused(grpc.status.PERMISSION_DENIED, `bundle ${id} is not being collected (${record?.status ?? 'unknown'})`);
          const size = Number(declared);
          if (!Number.isInteger(size) || size <= 0 || size > MAX_UPLOADED_BUNDLE_BYTES) return refused(grpc.status.INVALID_ARGUMENT, `bytes: a bundle is 1 to ${MAX_UPLOADED_BUNDLE_BYTES} bytes`);
          const chunks: Buffer[] = [];
          let received = 0;
          for await (const chunk of call as AsyncIterable<Buffer>) {
            received += chunk.length;
            if (received > size) return refused(grpc.status.INVALID_ARGUMENT, `bundle ${id} is longer than the ${size} bytes it declared`);
            chunks.push(chunk);
          }
          const data = Buffer.concat(chunks);
          if (received !== size) return refused(grpc.status.DATA_LOSS, `bundle ${id} ended after ${received} of ${size} bytes: nothing kept`);
          if (`sha256:${createHash('sha256').update(data).digest('hex')}` !== digest) return refused(grpc.status.DATA_LOSS, `bundle ${id} does not hash to ${digest}: nothing kept`);
          await options.supportBundles.blobs.put(id, data);
          return {};
        })().then(
          (result) => (result && typeof result === 'object' && 'code' in result && 'details' in result ? callback(result as Refusal) : callback(null, result)),
          (err: Error) => callback({ code: grpc.status.INTERNAL, details: `the agent endpoint failed: ${err.message}` }),
        );
      },
    },
  );

  const tls = grpc.ServerCredentials.createSsl(Buffer.from(credentials.caCertificatePem), [{ private_key: Buffer.from(options.server.privateKeyPem), cert_chain: Buffer.from(options.server.certificatePem) }], true);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync(`${options.host}:${options.port}`, tls, (err, bound) => (err ? reject(err) : resolve(bound))));
  return {
    port,
    async close(graceMs = 5_000) {
      clearInterval(sweep);
      // Long polls in flight would hold a graceful shutdown for a minute: past the grace they are cut (the agents poll again elsewhere).
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      temporal.close();
    },
  };
}

/** A task's arguments, as the SDK encodes them (JSON); anything else is left out. */
function jsonArguments(payloads: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }[]): unknown[] {
  return payloads.flatMap((payload) => {
    if (Buffer.from(payload.metadata?.encoding ?? []).toString() !== 'json/plain' || !payload.data) return [];
    try {
      return [JSON.parse(Buffer.from(payload.data).toString('utf8'))];
    } catch {
      return [];
    }
  });
}
