// A throwaway Kubernetes cluster (kwok's fake nodes, a real control plane) to try cellshift on:
//   npx tsx scripts/kube-testbed.ts start [--name N] [--dir D]   # prints `export KUBECONFIG=…`
//   npx tsx scripts/kube-testbed.ts stop  [--name N] [--dir D]
// The cluster runs until `stop`; its state lives in the directory (default: under the system temp dir).
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { deleteKubeTestbed, ensureKubeBinaries, startKubeTestbed } from './lib/kube-testbed';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { name: { type: 'string', default: 'cellshift' }, dir: { type: 'string' }, nodes: { type: 'string', default: '3' } },
});
const [command] = positionals;
const name = values.name;
const workDir = resolve(values.dir ?? join(tmpdir(), 'cellshift-kube-testbed', name));

if (command === 'start') {
  const bed = await startKubeTestbed({ name, workDir, nodes: Number(values.nodes), keepAfterExit: true });
  console.error(`cluster ${name} on ${bed.server}; a matching kubectl is ${ensureKubeBinaries().kubectl}`);
  console.error(`stop it with: npx tsx scripts/kube-testbed.ts stop --name ${name} --dir ${workDir}`);
  console.log(`export KUBECONFIG=${bed.kubeconfigPath}`); // stdout: for eval "$(… start)"
} else if (command === 'stop') {
  await deleteKubeTestbed({ name, workDir });
  console.error(`cluster ${name} deleted`);
} else {
  console.error('usage: npx tsx scripts/kube-testbed.ts start|stop [--name N] [--dir D] [--nodes 3]');
  process.exit(2);
}
