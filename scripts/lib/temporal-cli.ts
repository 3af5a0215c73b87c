import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { toolCacheDir, isExecutable } from './tool-cache';

export const TEMPORAL_CLI_VERSION = '1.5.1';

/**
 * The Temporal CLI binary: $TEMPORAL_CLI, `temporal` on PATH, the tool cache, or else built once
 * into the tool cache from the Go module proxy. v1.5.1 is the newest tag that `go install` accepts
 * (later tags carry a replace directive).
 */
export function findTemporalCli(log: (line: string) => void = (l) => console.error(l)): string {
  if (process.env.TEMPORAL_CLI) {
    if (!isExecutable(process.env.TEMPORAL_CLI)) throw new Error(`TEMPORAL_CLI=${process.env.TEMPORAL_CLI} is not an executable file`);
    return process.env.TEMPORAL_CLI;
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, 'temporal'))) return join(dir, 'temporal');
  }
  const binDir = join(toolCacheDir(), 'bin');
  const cached = join(binDir, 'temporal');
  if (isExecutable(cached)) return cached;
  return buildTemporalCli(binDir, log);
}

function buildTemporalCli(binDir: string, log: (line: string) => void): string {
  if (spawnSync('go', ['version']).status !== 0) {
    throw new Error(
      [
        'The Temporal CLI was not found and Go is not installed to build it.',
        'Either install the Temporal CLI (https://docs.temporal.io/cli) and put `temporal` on PATH or set TEMPORAL_CLI=/path/to/temporal,',
        `or install Go >= 1.23 and run again: cellshift builds temporal v${TEMPORAL_CLI_VERSION} once into ${binDir}.`,
        'Or point cellshift at an existing server with TEMPORAL_ADDRESS=host:port.',
      ].join('\n'),
    );
  }
  mkdirSync(binDir, { recursive: true });
  log(`building the Temporal CLI v${TEMPORAL_CLI_VERSION} into ${binDir} (once; about 6 minutes on 2 cores)…`);
  execFileSync(
    'go',
    [
      'install',
      '-ldflags',
      `-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`,
      `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`,
    ],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        GOBIN: binDir,
        CGO_ENABLED: '0',
        // No `direct`: without git access a missing module must fail fast, not hang.
        GOPROXY: process.env.GOPROXY?.replace(/,?direct$/, '') || 'https://proxy.golang.org',
      },
    },
  );
  return join(binDir, 'temporal');
}

