import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isExecutable, toolCacheDir } from './tool-cache';

export const KWOK_VERSION = '0.8.0';
export const KUBE_VERSION = '1.36.1';
export const ETCD_VERSION = '3.6.10';
// The k8s.io/* staging modules carry the Kubernetes minor as v0.<minor>.<patch>.
const STAGING_VERSION = `0.${KUBE_VERSION.split('.').slice(1).join('.')}`;

/** Absolute paths of the binaries a kwok test bed runs, all in `<cache>/bin`. */
export interface KubeBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  /** Not run by the test bed itself: kwokctl calls it to check the API server, and downloads one if it finds none. */
  kubectl: string;
  kwok: string;
  kwokctl: string;
}

type Log = (line: string) => void;
const KUBE_COMMANDS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'] as const;

/**
 * etcd, the Kubernetes control plane, kubectl and kwok, each built once from the Go module proxy into
 * the tool cache (skipped when already there). About 20 minutes on 2 cores the first time.
 */
export function ensureKubeBinaries(log: Log = (l) => console.error(l)): KubeBinaries {
  const binDir = join(toolCacheDir(), 'bin');
  const bin = (name: string) => join(binDir, name);
  const missing = (...names: string[]) => names.filter((name) => !isExecutable(bin(name)));
  const needed = missing('kwok', 'kwokctl', 'etcd', ...KUBE_COMMANDS);
  if (needed.length > 0) {
    requireGo(binDir, needed);
    mkdirSync(binDir, { recursive: true });
    const kwok = missing('kwok', 'kwokctl');
    if (kwok.length > 0) timed(log, kwok.join(' + '), () => buildKwok(binDir, kwok));
    if (missing('etcd').length > 0) timed(log, 'etcd', () => buildEtcd(binDir));
    const kube = missing(...KUBE_COMMANDS);
    if (kube.length > 0) buildKube(binDir, kube, log);
  }
  return {
    etcd: bin('etcd'),
    kubeApiserver: bin('kube-apiserver'),
    kubeControllerManager: bin('kube-controller-manager'),
    kubeScheduler: bin('kube-scheduler'),
    kubectl: bin('kubectl'),
    kwok: bin('kwok'),
    kwokctl: bin('kwokctl'),
  };
}

function requireGo(binDir: string, needed: string[]) {
  if (spawnSync('go', ['version']).status === 0) return;
  throw new Error(
    [
      `The Kubernetes test bed needs ${needed.join(', ')} in ${binDir}, and Go is not installed to build them.`,
      `Install Go >= 1.26 and run again: cellshift builds kwok v${KWOK_VERSION}, etcd v${ETCD_VERSION} and Kubernetes v${KUBE_VERSION}`,
      'once from the Go module proxy (about 20 minutes on 2 cores). Or put binaries of those versions there yourself.',
    ].join('\n'),
  );
}

function buildKwok(binDir: string, names: string[]) {
  go(binDir, ['install', ...names.map((name) => `sigs.k8s.io/kwok/cmd/${name}@v${KWOK_VERSION}`)], { GOBIN: binDir });
}

// go.etcd.io/etcd/server/v3 has replace directives, so `go install` refuses it: a wrapper module
// whose main is etcd's builds the same server.
function buildEtcd(binDir: string) {
  const dir = buildDir('etcd');
  writeFileSync(join(dir, 'go.mod'), 'module cellshift.local/etcd\n\ngo 1.26.0\n');
  writeFileSync(
    join(dir, 'main.go'),
    'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n',
  );
  go(dir, ['get', `go.etcd.io/etcd/server/v3@v${ETCD_VERSION}`]);
  go(dir, ['mod', 'tidy']);
  go(dir, ['build', '-ldflags', '-s -w', '-o', join(binDir, 'etcd'), '.']);
}

// k8s.io/kubernetes replaces its k8s.io/* staging modules with ./staging/... paths, which exist only
// in its repository: a wrapper module pins each to its published v0.x release instead.
function buildKube(binDir: string, names: string[], log: Log) {
  const dir = buildDir('kube');
  const staging = stagingModules();
  writeFileSync(
    join(dir, 'go.mod'),
    [
      'module cellshift.local/kube-testbed',
      '',
      'go 1.26.0',
      '',
      `require k8s.io/kubernetes v${KUBE_VERSION}`,
      '',
      ...staging.map((m) => `replace ${m} => ${m} v${STAGING_VERSION}`),
      '',
    ].join('\n'),
  );
  timed(log, 'Kubernetes modules', () => go(dir, ['get', ...KUBE_COMMANDS.map((c) => `k8s.io/kubernetes/cmd/${c}@v${KUBE_VERSION}`)]));
  // Without these the binaries report v0.0.0-master, and kwokctl picks flags by version.
  const [major, minor] = KUBE_VERSION.split('.');
  const version = [
    `-X k8s.io/component-base/version.gitVersion=v${KUBE_VERSION}`,
    `-X k8s.io/component-base/version.gitMajor=${major}`,
    `-X k8s.io/component-base/version.gitMinor=${minor}`,
    '-X k8s.io/component-base/version.gitTreeState=clean',
  ];
  for (const name of names) {
    timed(log, name, () => go(dir, ['build', '-ldflags', ['-s -w', ...version].join(' '), '-o', join(binDir, name), `k8s.io/kubernetes/cmd/${name}`]));
  }
}

/** The staging modules k8s.io/kubernetes's own go.mod replaces with ./staging/... paths. */
function stagingModules(): string[] {
  const out = execFileSync('go', ['mod', 'download', '-json', `k8s.io/kubernetes@v${KUBE_VERSION}`], {
    cwd: buildDir('.'), // outside any module
    env: goEnv(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 2],
  });
  const goMod = readFileSync((JSON.parse(out) as { GoMod: string }).GoMod, 'utf8');
  // Both `replace a => ./staging/…` and the lines of a `replace ( … )` block.
  const modules = [...goMod.matchAll(/^\s*(?:replace\s+)?(\S+)\s+=>\s+\.\/staging\//gm)].map((m) => m[1]);
  if (modules.length === 0) throw new Error(`k8s.io/kubernetes@v${KUBE_VERSION}'s go.mod replaces no ./staging modules: has its layout changed?`);
  return modules;
}

function buildDir(name: string): string {
  const dir = join(toolCacheDir(), 'build', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function go(cwd: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  execFileSync('go', args, { cwd, stdio: ['ignore', 2, 2], env: goEnv(extraEnv) }); // stdout stays free for callers' output
}

function goEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CGO_ENABLED: '0',
    GOFLAGS: '-buildvcs=false',
    // No `direct`: without git access a missing module must fail fast, not hang.
    GOPROXY: process.env.GOPROXY?.replace(/[,|]?direct$/, '') || 'https://proxy.golang.org',
    ...extra,
  };
}

function timed(log: Log, what: string, build: () => void) {
  log(`building ${what} into the tool cache (once)…`);
  const start = Date.now();
  build();
  log(`built ${what} in ${Math.round((Date.now() - start) / 1000)}s`);
}
