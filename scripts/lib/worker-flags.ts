/**
 * Node flags the worker runs with. Young-generation semi-spaces of at most 8 MB: with 1,102 cell
 * controllers cached, 574 MiB of RSS; 4 MB held it at 589 MiB in the same week but cost 15% more
 * CPU per cell in a rollout (185 against 157 ms at 101 cells), and no flag 313 MiB against 284 at
 * 101 cells (`npm run bench`, 2026-12-02; docs/benchmark.md). package.json's `worker` script, the
 * Dockerfile and docker-compose.yml repeat them.
 */
export const WORKER_NODE_FLAGS = ['--max-semi-space-size=8'];
