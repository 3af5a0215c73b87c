// How a cell's cluster reference becomes API clients: its kubeconfig, from a file or the worker's
// environment, or (for a cell's agent) the ServiceAccount of the pod it runs in.
import { AppsV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, VersionApi } from '@kubernetes/client-node';
import { ErrorType, PortError } from '../../domain/errors';
import type { KubernetesClusterRef } from '../../domain/cell';

/** The API clients of one cluster, built from its kubeconfig. */
export interface KubeClients {
  core: CoreV1Api;
  apps: AppsV1Api;
  version: VersionApi;
  objects: KubernetesObjectApi;
  /** the server, for messages */
  server: string;
}

/** The env variable that holds the kubeconfig a `secretRef` names. */
export function kubeconfigEnvName(secretRef: string): string {
  return `CELLSHIFT_KUBECONFIG_${secretRef.toUpperCase().replace(/-/g, '_')}`;
}

/**
 * Resolves a cell's cluster reference to API clients, inside the activity: the reference names a
 * kubeconfig file or an env variable holding one, never carries credentials itself.
 */
export function connect(ref: KubernetesClusterRef, env: NodeJS.ProcessEnv = process.env): KubeClients {
  const config = new KubeConfig();
  try {
    if (!ref.kubeconfig) {
      // A cell's agent inside the cluster: the ServiceAccount the pod runs as.
      if (!env.KUBERNETES_SERVICE_HOST) throw new Error('no kubeconfig given and not running inside a cluster (KUBERNETES_SERVICE_HOST is not set)');
      config.loadFromCluster();
    } else if ('path' in ref.kubeconfig) {
      config.loadFromFile(ref.kubeconfig.path);
    } else {
      const name = kubeconfigEnvName(ref.kubeconfig.secretRef);
      const content = env[name];
      if (!content) throw new Error(`${name} is not set in the worker's environment`);
      config.loadFromString(content);
    }
    if (ref.context) {
      if (!config.getContextObject(ref.context)) throw new Error(`context ${ref.context} is not in the kubeconfig`);
      config.setCurrentContext(ref.context);
    }
  } catch (err) {
    // Not retryable: the worker's configuration must change first. Only the first line of the
    // reason: a YAML parser's message goes on with a snippet of the file, which holds credentials.
    throw new PortError(ErrorType.ClusterUnreachable, `cannot load the kubeconfig of the cell: ${(err as Error).message.split('\n')[0]}`, true);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new PortError(ErrorType.ClusterUnreachable, 'the kubeconfig names no cluster for its current context', true);
  return {
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    version: config.makeApiClient(VersionApi),
    objects: KubernetesObjectApi.makeApiClient(config),
    server: cluster.server,
  };
}
