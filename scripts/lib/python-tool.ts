// A Python tool the tests run (moto's AWS server, schemathesis), installed once from PyPI into a
// venv of its own under the tool cache (Debian's system pip refuses installs).
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { isExecutable, toolCacheDir } from './tool-cache';

export interface PythonTool {
  /** the venv's directory under the tool cache */
  name: string;
  /** what pip installs, pinned: `moto[server]==5.2.5` */
  requirement: string;
  /** the command the tool installs into the venv's bin */
  executable: string;
}

/** The tool's executable, installing it first when the venv lacks it. */
export function ensurePythonTool(tool: PythonTool, log: (line: string) => void = (l) => console.error(l)): string {
  const venv = join(toolCacheDir(), tool.name);
  const bin = join(venv, 'bin', tool.executable);
  if (isExecutable(bin)) return bin;

  const python = spawnSync('python3', ['-c', 'import venv, ensurepip'], { encoding: 'utf8' });
  if (python.error || python.status !== 0) {
    throw new Error(
      `${tool.name} needs python3 with the venv module (and ensurepip), which was not found: install python3 and python3-venv ` +
        `(e.g. \`apt-get install python3-venv\`) and run again; cellshift installs ${tool.requirement} once into ${venv}.`,
    );
  }
  log(`installing ${tool.requirement} into ${venv} (once)…`);
  rmSync(venv, { recursive: true, force: true }); // a half-made venv from an interrupted run
  try {
    execFileSync('python3', ['-m', 'venv', venv], { stdio: ['ignore', 'inherit', 'inherit'] });
    execFileSync(join(venv, 'bin', 'pip'), ['install', '--quiet', tool.requirement], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (err) {
    rmSync(venv, { recursive: true, force: true }); // so the next run starts over instead of finding a broken venv
    throw new Error(`installing ${tool.requirement} into ${venv} failed: ${(err as Error).message}`, { cause: err });
  }
  if (!isExecutable(bin)) throw new Error(`pip installed ${tool.requirement} but ${bin} is missing`);
  return bin;
}
