// The agent's one outgoing connection: to the agent endpoint, over mutual TLS with the cell's own
// short-lived certificate, trusting only the CA its bootstrap pinned. The SDK worker inside the
// agent speaks to it on loopback; the tunnel passes each call through unchanged. A renewed
// certificate takes over for new calls while calls in flight (a long poll, a heartbeat) finish on
// the connection they started on: renewing drops nothing.
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import { CONFIG_PATH, RELEASE_CONTENT_PATH, RELEASE_PATH, RENEW_PATH, SUPPORT_BUNDLE_UPLOAD_PATH } from '../domain/agent-endpoint';

/** A support bundle goes up in pieces this large. */
const UPLOAD_CHUNK = 1024 * 1024;
import type { ConfigSource } from '../activities/releases/rendering';
import type { ConfigValues } from '../domain/config';
import type { ReleaseSource } from '../activities/releases/content';
import type { CatalogRelease } from '../domain/release';

const SERVICE = 'temporal.api.workflowservice.v1.WorkflowService';
const MAX_MESSAGE = 64 * 1024 * 1024;
/** A replaced connection is closed once its calls had time to end (a long poll lasts about a minute). */
const RETIRE_AFTER_MS = 2 * 60_000;

const reflection = createRequire(import.meta.url)('@temporalio/proto/protos/json-module.js') as { lookupService(name: string): { methods: Record<string, unknown> } };
const bytes = (b: Buffer) => b;

export interface Credential {
  privateKeyPem: string;
  certificatePem: string;
}

export class AgentTunnel {
  private client?: grpc.Client;
  private server?: grpc.Server;

  constructor(
    /** host:port of the agent endpoint */
    private readonly endpoint: string,
    /** the agents' CA, as the bootstrap pinned it: the endpoint must show a certificate it issued */
    private readonly caCertificatePem: string,
  ) {}

  /** Connects with this credential from now on; the previous connection serves its calls in flight, then closes. */
  use(credential: Credential): void {
    const previous = this.client;
    const tls = grpc.credentials.createSsl(Buffer.from(this.caCertificatePem), Buffer.from(credential.privateKeyPem), Buffer.from(credential.certificatePem));
    this.client = new grpc.Client(this.endpoint, tls, { 'grpc.max_receive_message_length': MAX_MESSAGE, 'grpc.max_send_message_length': MAX_MESSAGE });
    if (previous) setTimeout(() => previous.close(), RETIRE_AFTER_MS).unref();
  }

  /** Serves the SDK worker on a loopback port; returns `127.0.0.1:<port>`. */
  async start(): Promise<string> {
    const server = new grpc.Server({ 'grpc.max_receive_message_length': MAX_MESSAGE, 'grpc.max_send_message_length': MAX_MESSAGE });
    const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
    const implementation: grpc.UntypedServiceImplementation = {};
    for (const method of Object.keys(reflection.lookupService(SERVICE).methods)) {
      const path = `/${SERVICE}/${method}`;
      definition[method] = { path, requestStream: false, responseStream: false, requestSerialize: bytes, requestDeserialize: bytes, responseSerialize: bytes, responseDeserialize: bytes };
      implementation[method] = (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        const outgoing = this.current().makeUnaryRequest(path, bytes, bytes, call.request, call.metadata, { deadline: call.getDeadline() }, (err, response) => callback(err, response));
        call.on('cancelled', () => outgoing.cancel());
      };
    }
    server.addService(definition, implementation);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))));
    this.server = server;
    return `127.0.0.1:${port}`;
  }

  /** A new certificate for this cell from a CSR of a new key, asked of the endpoint with the current one. */
  renew(csrPem: string): Promise<{ certificate: string; notAfter: string }> {
    return this.call(RENEW_PATH, { csr: csrPem });
  }

  /**
   * The releases this cell's steps name, read through the endpoint (which serves only those the
   * cell's tasks named); the steps check what comes back against its digests.
   */
  releases(): ReleaseSource {
    return {
      get: async (version, digest) => (await this.call<{ release: CatalogRelease }>(RELEASE_PATH, { version, digest })).release,
      content: async (digest) => (await this.call<{ content: string }>(RELEASE_CONTENT_PATH, { digest })).content,
    };
  }

  /** The cell's configuration values, read through the endpoint (which serves the cell its own). */
  configs(): ConfigSource {
    return {
      at: async (_cellId, revision) =>
        (
          await this.call<{ values: ConfigValues }>(CONFIG_PATH, { revision }).catch((err: grpc.ServiceError) => {
            if (err.code === grpc.status.NOT_FOUND) return { values: undefined };
            throw err;
          })
        ).values,
    };
  }

  /** Uploads a support bundle collected in the cell to the endpoint, in chunks. */
  uploadBundle(bundle: { id: string; digest: string; data: Uint8Array }): Promise<void> {
    const metadata = new grpc.Metadata();
    metadata.set('bundle-id', bundle.id);
    metadata.set('digest', bundle.digest);
    metadata.set('bytes', String(bundle.data.byteLength));
    return new Promise((resolve, reject) => {
      const stream = this.current().makeClientStreamRequest(
        SUPPORT_BUNDLE_UPLOAD_PATH,
        (b: Buffer) => b,
        (b: Buffer) => b,
        metadata,
        { deadline: Date.now() + 10 * 60_000 },
        (err) => (err ? reject(err) : resolve()),
      );
      for (let at = 0; at < bundle.data.byteLength; at += UPLOAD_CHUNK) stream.write(Buffer.from(bundle.data.subarray(at, at + UPLOAD_CHUNK)));
      stream.end();
    });
  }

  private call<T>(path: string, request: unknown): Promise<T> {
    const json = (v: unknown) => Buffer.from(JSON.stringify(v));
    const parse = (b: Buffer) => JSON.parse(b.toString('utf8')) as T;
    return new Promise((resolve, reject) =>
      this.current().makeUnaryRequest(path, json, parse, request, new grpc.Metadata(), { deadline: Date.now() + 60_000 }, (err, answer) => (err ? reject(err) : resolve(answer!))),
    );
  }

  async close(): Promise<void> {
    // The SDK worker has stopped: whatever still waits (a long poll) is cut after a moment.
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      const force = setTimeout(() => {
        this.server?.forceShutdown();
        resolve();
      }, 2_000);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
    this.client?.close();
  }

  private current(): grpc.Client {
    if (!this.client) throw new Error('the tunnel has no credential yet');
    return this.client;
  }
}
