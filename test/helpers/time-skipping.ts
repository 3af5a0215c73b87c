// A Temporal test environment on the Java time-skipping test server (scripts/lib/time-skipping-server.ts):
// timers fire as soon as nothing else is running, so days of waiting take milliseconds.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ensureTimeSkippingServer } from '../../scripts/lib/time-skipping-server';

/**
 * Starts a time-skipping server of its own and connects to it; call `teardown()` when done.
 * The SDK launches the wrapper itself (`existing-path`) and waits only 5 s for it. That is enough:
 * the wrapper's JVM (C1 only, serial GC, a class archive) listens after 0.5 s on this 2-core
 * machine, after 1.3–2.1 s with three busy loops competing for the cores. Were it ever too slow,
 * the fallback is to spawn the wrapper on a free port ourselves and connect with the SDK's
 * non-public `TestWorkflowEnvironment.create({ server: { type: 'existing' }, supportsTimeSkipping: true, ... })`:
 * the public `createFromExistingServer` turns time skipping off.
 */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: ensureTimeSkippingServer() } },
  });
}
