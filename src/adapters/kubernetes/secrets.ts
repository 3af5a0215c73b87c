// Whether the Secrets a cell's configuration refers to are there, without reading them: each is
// asked for as metadata only (PartialObjectMetadata), so no Secret's data ever reaches cellshift.
import { type ConfigurationOptions, Observable, type RequestContext, type ResponseContext } from '@kubernetes/client-node';
import type { KubeClients } from './connection';
import { isNotFound, kubeCall } from './kube-call';

const METADATA_ONLY = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

/** The references among `secrets` whose Secret the namespace does not hold. */
export async function missingSecrets<T extends { name: string }>(kube: KubeClients, namespace: string, secrets: T[]): Promise<T[]> {
  const absent: T[] = [];
  for (const secret of secrets) {
    const found = await kubeCall(`look for Secret ${secret.name}`, () => kube.core.readNamespacedSecret({ name: secret.name, namespace }, metadataOnly())).catch((err) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    if (!found) absent.push(secret);
  }
  return absent;
}

/** Options that ask the API server for an object's metadata alone. */
function metadataOnly(): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (context: RequestContext) => {
          context.setHeaderParam('Accept', METADATA_ONLY);
          return new Observable(Promise.resolve(context));
        },
        post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}
