import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { dirname, resolve } from 'node:path';

/** What a client of the test bed's API server needs: its URL and the client certificate kwokctl made. */
export interface KubeCredentials {
  server: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/**
 * Reads the first cluster and user of a kubeconfig with certificate credentials, as kwokctl writes
 * them (file paths or inline `-data`). Enough for the test bed; not a general kubeconfig parser.
 */
export function readKubeconfig(path: string): KubeCredentials {
  const text = readFileSync(path, 'utf8');
  const field = (name: string): Buffer => {
    const inline = text.match(new RegExp(`^\\s*${name}-data:\\s*(\\S+)`, 'm'));
    if (inline) return Buffer.from(unquote(inline[1]), 'base64');
    const file = text.match(new RegExp(`^\\s*${name}:\\s*(.+?)\\s*$`, 'm'));
    if (file) return readFileSync(resolve(dirname(path), unquote(file[1])));
    throw new Error(`${path} has no ${name} or ${name}-data: the test bed expects kwokctl's certificate kubeconfig`);
  };
  const server = text.match(/^\s*server:\s*(\S+)/m);
  if (!server) throw new Error(`${path} names no server`);
  return { server: unquote(server[1]), ca: field('certificate-authority'), cert: field('client-certificate'), key: field('client-key') };
}

export interface KubeResponse<T> {
  status: number;
  body: T;
}

/** One call to the API server; the body is parsed when it is JSON. Never throws on an HTTP status. */
export function kubeRequest<T = unknown>(creds: KubeCredentials, method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<KubeResponse<T>> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolvePromise, reject) => {
    const req = request(
      new URL(path, creds.server),
      {
        method,
        ca: creds.ca,
        cert: creds.cert,
        key: creds.key,
        timeout: timeoutMs,
        headers: { accept: 'application/json', ...(payload ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          if (res.headers['content-type']?.includes('json')) parsed = JSON.parse(text);
          resolvePromise({ status: res.statusCode ?? 0, body: parsed as T });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} took over ${timeoutMs / 1000}s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Like kubeRequest, but a status outside 2xx is an error carrying the API server's message. */
export async function kubeCall<T = unknown>(creds: KubeCredentials, method: string, path: string, body?: unknown): Promise<T> {
  const res = await kubeRequest<T>(creds, method, path, body);
  if (res.status < 200 || res.status >= 300) {
    const message = (res.body as { message?: string } | undefined)?.message ?? String(res.body);
    throw new Error(`${method} ${path} answered ${res.status}: ${message}`);
  }
  return res.body;
}

function unquote(value: string): string {
  return value.replace(/^(["'])(.*)\1$/, '$2');
}
