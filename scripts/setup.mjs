// `npm run setup`: installs cellshift's dependencies with the Node.js it runs on (the version in
// .nvmrc), whatever Node.js runs npm. Plain JavaScript: nothing is installed yet when it runs.
//
// The runtime comes from the npm registry (the `node-<platform>-<arch>` packages carry Node's own
// binaries): once into the tool cache, to run `npm ci` under it (engine-strict refuses a
// dependency the runtime cannot run), and as an optional dependency into node_modules/.bin, which
// npm puts first on PATH for every script, so `npm start`, `npm test` and `npm run -s cellshift --` run on it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const wanted = readFileSync(join(root, '.nvmrc'), 'utf8').trim();
const wantedMajor = Number(wanted.split('.')[0]);
const npmCli = process.env.npm_execpath;
if (!npmCli) fail('run it as `npm run setup`: it needs npm to install with');

/** The runtime npm ci runs under: this one if it is the right major, else the registry's package in the tool cache. */
function runtime() {
  if (Number(process.versions.node.split('.')[0]) >= wantedMajor) return process.execPath;
  const pkg = `node-${process.platform}-${process.arch}`;
  const cache = join(process.env.CELLSHIFT_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'cellshift'), 'node', wanted);
  const binary = join(cache, 'node_modules', pkg, 'bin', 'node');
  if (!existsSync(binary)) {
    console.error(`setup: Node.js ${process.versions.node} runs npm here; cellshift runs on ${wanted}: fetching ${pkg}@${wanted} from the npm registry into ${cache}`);
    mkdirSync(cache, { recursive: true });
    // In the cache directory, so this project's .npmrc (engine-strict) does not apply to the fetch itself.
    const fetched = spawnSync(process.execPath, [npmCli, 'install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `${pkg}@${wanted}`], { cwd: cache, stdio: 'inherit' });
    if (fetched.status !== 0 || !existsSync(binary)) {
      fail(`the npm registry has no ${pkg}@${wanted} for this machine (${process.platform}/${process.arch}); install Node.js ${wantedMajor} (nvm use reads .nvmrc) and run npm ci`);
    }
  }
  return binary;
}

function fail(message) {
  console.error(`setup: ${message}`);
  process.exit(1);
}

const node = runtime();
const env = { ...process.env, PATH: `${dirname(node)}:${process.env.PATH}` };
const installed = spawnSync(node, [npmCli, 'ci', ...process.argv.slice(2)], { cwd: root, env, stdio: 'inherit' });
if (installed.status !== 0) process.exit(installed.status ?? 1);
const local = join(root, 'node_modules', '.bin', 'node');
const version = existsSync(local) ? spawnSync(local, ['--version'], { encoding: 'utf8' }).stdout.trim() : undefined;
console.error(version ? `setup: done; npm scripts run on Node.js ${version} (node_modules/.bin/node)` : `setup: done; no Node.js package for ${process.platform}/${process.arch}: npm scripts run on the node on your PATH`);
