import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { kubeCall, kubeRequest, readKubeconfig, type KubeCredentials } from './kube-api';
import { ensureKubeBinaries, KUBE_VERSION, type KubeBinaries } from './kube-binaries';

export { ensureKubeBinaries, type KubeBinaries } from './kube-binaries';

const run = promisify(execFile);
type Log = (line: string) => void;

export interface KubeTestbedOptions {
  /** kwokctl's cluster name; a stale cluster of this name in workDir is deleted first. */
  name: string;
  /** Holds everything of this cluster: kwokctl's work directory, the kubeconfig, the stage config. */
  workDir: string;
  /** Fake nodes `kwok-node-0..n-1`; 3 when absent. */
  nodes?: number;
  log?: Log;
  /** For the whole start, binaries already built; 3 minutes when absent. */
  timeoutMs?: number;
  /** Keep the cluster after this process exits (the CLI). By default a watchdog deletes it then. */
  keepAfterExit?: boolean;
}

export interface KubeTestbed {
  name: string;
  kubeconfigPath: string;
  /** https://127.0.0.1:PORT */
  server: string;
  stop(): Promise<void>;
}

/**
 * A real control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) on loopback,
 * with kwok faking the kubelets of `nodes` nodes, started by kwokctl's binary runtime from the tool
 * cache. Pods become ready at once, or fail by image name (see kwok-stages.yaml).
 */
export async function startKubeTestbed(options: KubeTestbedOptions): Promise<KubeTestbed> {
  const { name, workDir, nodes = 3, log = (l: string) => console.error(l), timeoutMs = 180_000 } = options;
  const bins = ensureKubeBinaries(log);
  const paths = testbedPaths(workDir, name);
  mkdirSync(workDir, { recursive: true });
  // kwokctl's processes are daemons (setsid) that outlive whoever started them: clear an earlier run's.
  await deleteKubeTestbed({ name, workDir });

  const start = Date.now();
  const watchdog = options.keepAfterExit ? undefined : startWatchdog(bins, name, paths);
  const stop = async () => {
    if (watchdog?.pid) killGroup(watchdog.pid);
    await deleteKubeTestbed({ name, workDir });
  };
  try {
    const created = await createCluster(bins, name, paths, timeoutMs);
    const creds = readKubeconfig(paths.kubeconfig);
    const deadline = start + timeoutMs;
    await until(deadline, () => apiReady(creds), () => `the API server at ${creds.server} was not ready\nkwokctl said:\n${tail(created)}`, paths);
    for (let i = 0; i < nodes; i++) await kubeCall(creds, 'POST', '/api/v1/nodes', fakeNode(`kwok-node-${i}`));
    await until(deadline, () => nodesReady(creds, nodes), () => `the ${nodes} kwok nodes did not become Ready`, paths);
    log(`Kubernetes test bed ${name} ready on ${creds.server} in ${Math.round((Date.now() - start) / 1000)}s`);
    return { name, kubeconfigPath: paths.kubeconfig, server: creds.server, stop };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}

/**
 * `kwokctl create cluster` with every binary given, so that it downloads nothing. It returns once
 * the components answer, or fails as soon as one of them has exited.
 */
async function createCluster(bins: KubeBinaries, name: string, paths: Paths, timeoutMs: number): Promise<string> {
  writeFileSync(paths.containerLog, '');
  writeFileSync(paths.config, kwokConfig(await freePorts(PORTS.length), paths.containerLog));
  const args = [
    'create', 'cluster',
    '--name', name,
    '--runtime', 'binary',
    '--config', paths.config,
    '--kubeconfig', paths.kubeconfig,
    '--secure-port=true',
    '--etcd-binary', bins.etcd,
    '--kube-apiserver-binary', bins.kubeApiserver,
    '--kube-controller-manager-binary', bins.kubeControllerManager,
    '--kube-scheduler-binary', bins.kubeScheduler,
    '--kwok-controller-binary', bins.kwok,
    '--timeout', `${Math.round(timeoutMs / 1000)}s`,
    '--wait', `${Math.round(timeoutMs / 1000)}s`,
  ];
  const abort = new AbortController();
  const created = kwokctl(bins, paths, args, timeoutMs, abort.signal);
  // kwokctl would wait its full timeout for an API server that has exited: look for that ourselves.
  const exited = firstExit(paths, abort.signal);
  exited.catch(() => {}); // settles after the race too, when aborted
  try {
    return await Promise.race([created.then((r) => r.stderr), exited]);
  } catch (err) {
    const e = err as Error & { stderr?: string; killed?: boolean };
    const dead = deadComponents(paths);
    if (dead.length > 0) throw new Error(`cluster ${name}: ${dead.join(', ')} exited on start\n${componentLogs(paths)}`, { cause: err });
    const what = e.killed ? `did not create cluster ${name} within ${timeoutMs / 1000}s` : `could not create cluster ${name}`;
    throw new Error(`kwokctl ${what}; it said:\n${tail(e.stderr || e.message)}\n${componentLogs(paths)}`, { cause: err });
  } finally {
    abort.abort();
    await created.catch(() => {});
  }
}

async function firstExit(paths: Paths, signal: AbortSignal): Promise<never> {
  while (!signal.aborted && deadComponents(paths).length === 0) await sleep(500);
  throw new Error('a component exited');
}

/**
 * `kwokctl delete cluster`, then waits until none of its processes runs (kwokctl kills them with
 * SIGKILL and does not wait). Does nothing when there is no such cluster.
 */
export async function deleteKubeTestbed({ name, workDir }: { name: string; workDir: string }): Promise<void> {
  const paths = testbedPaths(workDir, name);
  if (!existsSync(paths.cluster)) return;
  const pids = [...components(paths).values()];
  const bins = ensureKubeBinaries();
  await kwokctl(bins, paths, ['delete', 'cluster', '--name', name, '--kubeconfig', paths.kubeconfig]).catch((err: Error & { stderr?: string }) => {
    throw new Error(`kwokctl could not delete cluster ${name}: ${err.stderr?.trim() || err.message}`);
  });
  const deadline = Date.now() + 10_000;
  while (pids.some(alive)) {
    if (Date.now() > deadline) throw new Error(`cluster ${name}'s processes ${pids.filter(alive).join(', ')} still run after kwokctl deleted it`);
    await sleep(100);
  }
}

/**
 * The file kwok answers every container's log from, in the CRI log format
 * (`2026-12-05T10:00:00.000000000Z stdout F <line>`); empty when the test bed starts.
 */
export function containerLogPath(workDir: string): string {
  return join(workDir, 'container.log');
}

/** Where kwokctl keeps a cluster of this name when KWOK_WORKDIR is `<workDir>/kwok`. */
export function testbedPaths(workDir: string, name: string) {
  const kwokWorkDir = join(workDir, 'kwok');
  return {
    kwokWorkDir,
    cluster: join(kwokWorkDir, 'clusters', name),
    kubeconfig: join(workDir, 'kubeconfig'),
    config: join(workDir, 'kwok-stages.yaml'),
    containerLog: containerLogPath(workDir),
  };
}
type Paths = ReturnType<typeof testbedPaths>;

function kwokctl(bins: KubeBinaries, paths: Paths, args: string[], timeoutMs = 60_000, signal?: AbortSignal) {
  return run(bins.kwokctl, args, { encoding: 'utf8', env: kwokctlEnv(bins, paths), timeout: timeoutMs, signal });
}

// kwokctl checks the API server with the first kubectl on PATH, else downloads one: ours comes first.
function kwokctlEnv(bins: KubeBinaries, paths: Paths): NodeJS.ProcessEnv {
  return { ...process.env, KWOK_WORKDIR: paths.kwokWorkDir, PATH: [dirname(bins.kubectl), process.env.PATH].join(delimiter) };
}

// Every component's port, random: kwokctl counts down from 32767 for those it picks, and two test
// beds starting at once would both pick the same.
const PORTS = ['kubeApiserverPort', 'etcdPort', 'etcdPeerPort', 'kubeControllerManagerPort', 'kubeSchedulerPort', 'kwokControllerPort'];

// A KwokctlConfiguration (loopback only: kwokctl binds 0.0.0.0 by default and has no flag for it)
// followed by the Stages, which replace kwokctl's defaults.
function kwokConfig(ports: number[], containerLog: string): string {
  const stages = readFileSync(new URL('./kwok-stages.yaml', import.meta.url), 'utf8');
  return [
    'apiVersion: config.kwok.x-k8s.io/v1alpha1',
    'kind: KwokctlConfiguration',
    'options:',
    '  bindAddress: 127.0.0.1',
    ...PORTS.map((option, i) => `  ${option}: ${ports[i]}`),
    '---',
    stages,
    '---',
    // What `kubectl logs` answers for every container of every pod (kwok's kubelet serves it, in the
    // CRI log format): a test writes the lines a container printed.
    'apiVersion: kwok.x-k8s.io/v1alpha1',
    'kind: ClusterLogs',
    'metadata:',
    '  name: every-container',
    'spec:',
    '  logs:',
    `  - logsFile: ${JSON.stringify(containerLog)}`,
  ].join('\n');
}

// kwokctl's binary runtime starts kwok with --manage-all-nodes=true (no annotation selector), so
// the annotation only tells people what these nodes are. No taints: every pod may land here. The
// nodes report a kubelet of the control plane's version and a runtime that mounts image volumes
// (containerd 2.1), as a current cluster's do; kwok keeps what a node reports.
function fakeNode(name: string) {
  const resources = { cpu: '32', memory: '256Gi', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake' },
      labels: { type: 'kwok', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' },
    },
    status: { capacity: resources, allocatable: resources, nodeInfo: { kubeletVersion: `v${KUBE_VERSION}`, containerRuntimeVersion: 'containerd://2.1.4' } },
  };
}

async function apiReady(creds: KubeCredentials): Promise<boolean> {
  const res = await kubeRequest(creds, 'GET', '/readyz', undefined, 2_000).catch(() => undefined);
  return res?.status === 200;
}

// Ready, and the not-ready taint the node lifecycle controller put on at creation is gone again.
async function nodesReady(creds: KubeCredentials, count: number): Promise<boolean> {
  const list = await kubeCall<{ items: Node[] }>(creds, 'GET', '/api/v1/nodes?labelSelector=type%3Dkwok');
  const ready = list.items.filter(
    (n) =>
      n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') &&
      !n.spec?.taints?.some((t) => t.key.startsWith('node.kubernetes.io/not-ready')),
  );
  return ready.length >= count;
}
interface Node {
  spec?: { taints?: { key: string }[] };
  status?: { conditions?: { type: string; status: string }[] };
}

async function until(deadline: number, check: () => Promise<boolean>, what: () => string, paths: Paths): Promise<void> {
  while (!(await check())) {
    const dead = deadComponents(paths);
    if (dead.length > 0) throw new Error(`${what()}: ${dead.join(', ')} exited\n${componentLogs(paths)}`);
    if (Date.now() > deadline) throw new Error(`${what()}\n${componentLogs(paths)}`);
    await sleep(250);
  }
}

/** The cluster's component processes by component name, from kwokctl's pid files. */
function components(paths: Paths): Map<string, number> {
  const dir = join(paths.cluster, 'pids');
  if (!existsSync(dir)) return new Map();
  return new Map(
    readdirSync(dir)
      .map((f) => [f.replace(/\.pid$/, ''), Number(readFileSync(join(dir, f), 'utf8').trim())] as const)
      .filter(([, pid]) => pid > 0), // a pid file being written reads empty
  );
}

function deadComponents(paths: Paths): string[] {
  return [...components(paths)].filter(([, pid]) => !alive(pid)).map(([component]) => component);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // An orphan killed by kwokctl stays a zombie until init reaps it: it no longer runs.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc (macOS)
  }
}

/** The last lines of every component's log, the stopped components first: what a failed start needs. */
function componentLogs(paths: Paths): string {
  const dir = join(paths.cluster, 'logs');
  if (!existsSync(dir)) return `(no component logs in ${dir})`;
  const dead = new Set(deadComponents(paths));
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => ({ component: f.replace(/\.log$/, ''), text: readFileSync(join(dir, f), 'utf8') }))
    .sort((a, b) => Number(dead.has(b.component)) - Number(dead.has(a.component)))
    .map(({ component, text }) => `--- ${join(dir, component)}.log${dead.has(component) ? ' (EXITED)' : ''}:\n${tail(text)}`)
    .join('\n');
}

function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).map((l) => (l.length > 400 ? `${l.slice(0, 400)}…` : l)).join('\n');
}

// Deletes the cluster once this process is gone, however it went (a killed test run included).
function startWatchdog(bins: KubeBinaries, name: string, paths: Paths) {
  const script = 'while kill -0 "$0" 2>/dev/null; do sleep 1; done; exec "$1" delete cluster --name "$2" --kubeconfig "$3"';
  const child = spawn('sh', ['-c', script, String(process.pid), bins.kwokctl, name, paths.kubeconfig], {
    detached: true,
    stdio: 'ignore',
    env: kwokctlEnv(bins, paths),
  });
  child.unref();
  return child;
}

// The watchdog leads its own process group (detached): this ends sh and its sleep.
function killGroup(pid: number) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Distinct free loopback ports: all probes listen at once, so none is handed out twice. */
async function freePorts(count: number): Promise<number[]> {
  const probes = await Promise.all(
    Array.from({ length: count }, () => new Promise<Server>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(0, '127.0.0.1', () => resolve(probe));
    })),
  );
  const ports = probes.map((probe) => (probe.address() as AddressInfo).port);
  await Promise.all(probes.map((probe) => new Promise((resolve) => probe.close(resolve))));
  return ports;
}
