// What every command group shares: a client for the API the global options name, and output for
// people (text) or for scripts (`-o json`).
import type { Command } from 'commander';
import { ApiClient } from './client';

interface Globals {
  api?: string;
  token?: string;
  output?: 'text' | 'json';
}

export interface CliContext {
  client: () => ApiClient;
  json: () => boolean;
  /** Prints JSON for scripts, else the text. */
  print: (value: unknown, text: () => string) => void;
  id: (value: string) => string;
}

/** The context of `program`'s commands: its global options are read when a command runs. */
export function cliContext(program: Command): CliContext {
  const client = () => new ApiClient(program.opts<Globals>());
  const json = () => program.opts<Globals>().output === 'json';
  const print = (value: unknown, text: () => string) => console.log(json() ? JSON.stringify(value, null, 2) : text());
  const id = (value: string) => encodeURIComponent(value);
  return { client, json, print, id };
}

/** Every item of a paged list, following its page tokens. */
export async function everyPage<P extends { nextPageToken?: string }, T>({ client }: CliContext, path: string, query: URLSearchParams, items: (page: P) => T[]): Promise<T[]> {
  const all: T[] = [];
  query.set('pageSize', '500');
  for (let page: P | undefined; page === undefined || page.nextPageToken; ) {
    if (page?.nextPageToken) query.set('pageToken', page.nextPageToken);
    page = await client().request<P>('GET', `${path}?${query}`);
    all.push(...items(page));
  }
  return all;
}
