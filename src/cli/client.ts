// The CLI's side of the REST API: where it is and which token to send (flags, environment, a config
// file, or the embedded default's generated admin token), one request at a time, and the API's
// problem+json turned into a one-line error naming the fields at fault.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface ClientOptions {
  api?: string;
  token?: string;
}

/** A request the API refused, or could not answer: its problem, for the user, and the exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Exit codes a script can act on. */
export const EXIT = { ok: 0, outcome: 1, refused: 2, unreachable: 3 } as const;

interface Problem {
  title?: string;
  status?: number;
  detail?: string;
  errors?: { field: string; reason: string }[];
}

/** The config file: `$CELLSHIFT_CONFIG`, else `~/.config/cellshift/config.json`, with `{api, token}`. */
function configFile(env: NodeJS.ProcessEnv): { api?: string; token?: string } {
  const file = env.CELLSHIFT_CONFIG ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'cellshift', 'config.json');
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { api?: string; token?: string };
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, EXIT.refused);
  }
}

export class ApiClient {
  readonly api: string;
  private readonly token?: string;

  constructor(options: ClientOptions, env: NodeJS.ProcessEnv = process.env) {
    const file = configFile(env);
    this.api = (options.api ?? env.CELLSHIFT_API ?? file.api ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
    const generated = join(env.CELLSHIFT_DATA_DIR ?? 'data', 'admin-token');
    this.token = options.token ?? env.CELLSHIFT_TOKEN ?? file.token ?? (existsSync(generated) ? readFileSync(generated, 'utf8').trim() : undefined);
  }

  /** A GET as it comes, for a body that is not JSON. */
  async fetch(path: string): Promise<Response> {
    try {
      return await fetch(`${this.api}${path}`, { headers: this.token ? { authorization: `Bearer ${this.token}` } : {} });
    } catch (err) {
      throw new CliError(`cannot reach cellshift at ${this.api}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`, EXIT.unreachable);
    }
  }

  async request<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const init: RequestInit & { duplex?: 'half' } = { method, headers: { ...headers } };
    if (this.token) (init.headers as Record<string, string>).authorization = `Bearer ${this.token}`;
    if (body instanceof ReadableStream || body instanceof Uint8Array) {
      init.body = body as BodyInit;
      init.duplex = 'half';
    } else if (body !== undefined) {
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await fetch(`${this.api}${path}`, init);
    } catch (err) {
      throw new CliError(`cannot reach cellshift at ${this.api}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`, EXIT.unreachable);
    }
    const text = await res.text();
    const parsed = text ? (safeJson(text) ?? text) : undefined;
    if (res.ok) return parsed as T;
    throw new CliError(describeProblem(res.status, parsed), res.status === 401 || res.status === 403 || res.status < 500 ? EXIT.refused : EXIT.unreachable);
  }
}

/** A download: the body's bytes, or the API's problem as a CliError. */
export async function download(client: ApiClient, path: string): Promise<Uint8Array> {
  const res = await client.fetch(path);
  if (res.ok) return new Uint8Array(await res.arrayBuffer());
  const text = await res.text();
  throw new CliError(describeProblem(res.status, text ? (safeJson(text) ?? text) : undefined), res.status < 500 ? EXIT.refused : EXIT.unreachable);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `422 ReleaseVetoed: release 1.2.0 was vetoed…`, with each field at fault on a line of its own. */
export function describeProblem(status: number, body: unknown): string {
  const problem = (typeof body === 'object' && body ? body : { detail: String(body ?? '') }) as Problem;
  const head = `${status} ${problem.title ?? 'Error'}${problem.detail ? `: ${problem.detail}` : ''}`;
  const fields = (problem.errors ?? []).map((e) => `  ${e.field}: ${e.reason}`);
  return [head, ...(problem.detail && fields.length > 0 ? [] : fields)].join('\n');
}
