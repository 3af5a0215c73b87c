import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toolCacheDir, isExecutable } from './tool-cache';

/** Newest first: 1.38.0 is the newest on Maven Central, 1.37.0 the fallback. */
export const TEST_SERVER_VERSIONS = ['1.38.0', '1.37.0'];

/**
 * Temporal's Java time-skipping test server, fetched once from Maven Central into
 * `<cache>/tts/lib`, behind a wrapper script that takes the server's own arguments
 * (`<port> [--enable-time-skipping]`). Returns the wrapper's path, for
 * `TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } })`.
 */
export function ensureTimeSkippingServer(log: (line: string) => void = (l) => console.error(l)): string {
  const dir = join(toolCacheDir(), 'tts');
  const lib = join(dir, 'lib');
  const wrapper = join(dir, 'temporal-test-server');
  if (isExecutable(wrapper) && hasJars(lib)) return wrapper;

  requireTool('java', ['-version'], 'a Java runtime (17 or newer), e.g. `apt-get install openjdk-17-jre-headless`');
  requireTool('mvn', ['-v'], 'Maven, e.g. `apt-get install maven`');
  mkdirSync(dir, { recursive: true });
  let fetched: string | undefined;
  const errors: string[] = [];
  for (const version of TEST_SERVER_VERSIONS) {
    writeFileSync(join(dir, 'pom.xml'), pom(version));
    rmSync(lib, { recursive: true, force: true });
    log(`fetching io.temporal:temporal-test-server:${version} with Maven into ${lib} (once)…`);
    try {
      execFileSync('mvn', ['-q', '-B', '-f', join(dir, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${lib}`], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      fetched = version;
      break;
    } catch (err) {
      const e = err as { stdout?: Buffer; stderr?: Buffer; message: string };
      errors.push(`${version}: ${(e.stdout?.toString() + (e.stderr?.toString() ?? '')).trim().slice(-2000) || e.message}`);
    }
  }
  if (!fetched || !hasJars(lib)) {
    throw new Error(`could not fetch io.temporal:temporal-test-server (${TEST_SERVER_VERSIONS.join(', ')}) from Maven Central:\n${errors.join('\n')}`);
  }
  const jvm = `-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "${lib}/*" io.temporal.testserver.TestServer`;
  const archive = join(dir, 'test-server.jsa');
  dumpClassArchive(jvm, archive, log);
  // `exec`, so the SDK's SIGKILL reaches the JVM itself (a shell in between would orphan it).
  // C1 only, the serial GC and the class archive of a training start: the JVM must accept
  // connections within the SDK's 5 s start wait, also on a busy 2-core machine. A missing or
  // stale archive (another JDK) only costs speed: the JVM then starts without it.
  writeFileSync(
    wrapper,
    [
      '#!/bin/sh',
      `# io.temporal:temporal-test-server ${fetched}, written by scripts/lib/time-skipping-server.ts`,
      `if [ -f "${archive}" ]; then cds="-XX:SharedArchiveFile=${archive} -Xshare:auto"; else cds=; fi`,
      `exec java $cds ${jvm} "$@"`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  log(`time-skipping test server ${fetched}: ${wrapper}`);
  return wrapper;
}

/**
 * AppCDS: starts the server once with -XX:ArchiveClassesAtExit and stops it once it listens, so
 * later starts map the classes it loaded instead of parsing them (about 1 s → 0.5 s here).
 * Best effort: without the archive the server still starts, only slower.
 */
function dumpClassArchive(jvm: string, archive: string, log: (line: string) => void): void {
  rmSync(archive, { force: true });
  const port = 20_000 + Math.floor(Math.random() * 40_000);
  const script = [
    `java -XX:ArchiveClassesAtExit="${archive}" ${jvm} ${port} --enable-time-skipping & pid=$!`,
    `for i in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null && break; kill -0 $pid 2>/dev/null || exit 1; sleep 0.1; done`,
    'sleep 1; kill -TERM $pid; wait $pid',
  ].join('\n');
  spawnSync('bash', ['-c', script], { stdio: 'ignore', timeout: 120_000 });
  if (!existsSync(archive)) log('could not write the class archive of the time-skipping server: it will start without one');
}

function pom(version: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.cellshift</groupId>
  <artifactId>temporal-test-server-fetch</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>${version}</version>
    </dependency>
  </dependencies>
</project>
`;
}

function requireTool(command: string, args: string[], what: string): void {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  if (result.error || result.status !== 0) {
    throw new Error(
      `The time-skipping test server needs \`${command}\`, which was not found. Install ${what} and run again: ` +
        `cellshift fetches io.temporal:temporal-test-server once into ${join(toolCacheDir(), 'tts')}.`,
    );
  }
}

function hasJars(lib: string): boolean {
  try {
    return readdirSync(lib).some((name) => name.startsWith('temporal-test-server') && name.endsWith('.jar'));
  } catch {
    return false;
  }
}

