// A release as operators keep it: JSON or YAML, its manifests inline, in documents after it, or
// in files of their own (multi-document YAML as `helm template` or upstream projects publish it).
import { readFileSync } from 'node:fs';
import { loadAllYaml } from '@kubernetes/client-node';
import type { Release } from '../domain/release';
import { CliError, EXIT } from './client';

function documents(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, EXIT.refused);
  }
  try {
    if (/\.json$/i.test(file)) return [JSON.parse(text)];
    // Empty documents (a trailing `---`, Helm's blank templates) are nothing.
    return (loadAllYaml(text) as unknown[]).filter((doc) => doc !== null && doc !== undefined);
  } catch (err) {
    throw new CliError(`${file} is not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`, EXIT.refused);
  }
}

const isKubernetesObject = (doc: unknown): boolean => typeof doc === 'object' && doc !== null && 'apiVersion' in doc && 'kind' in doc;

/**
 * The release in `file` (its first document), with the Kubernetes objects of the documents after
 * it and of each of `manifestFiles` appended to its manifests. The API validates the rest.
 */
export function readRelease(file: string, manifestFiles: string[]): Release {
  const [first, ...rest] = documents(file);
  if (typeof first !== 'object' || first === null || Array.isArray(first)) throw new CliError(`${file} does not start with a release ({version, components, …})`, EXIT.refused);
  const release = { ...(first as Release) };
  const extra = [...rest, ...manifestFiles.flatMap(documents)];
  const strays = extra.filter((doc) => !isKubernetesObject(doc));
  if (strays.length > 0) throw new CliError(`${strays.length} document(s) after the release are not Kubernetes objects (no apiVersion and kind)`, EXIT.refused);
  if (extra.length > 0) release.manifests = [...(release.manifests ?? []), ...(extra as NonNullable<Release['manifests']>)];
  return release;
}
