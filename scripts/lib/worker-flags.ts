/**
 * Node flags the worker runs with. Young-generation semi-spaces of at most 4 MB: with 1,000 cell
 * controllers cached, 499 MiB of RSS instead of 565 MiB in one run, 569 instead of 585 MiB (1,102
 * controllers) in another, at the same CPU time per cell (`npm run bench`, 2026-11-26). package.json's `worker` script, the Dockerfile and docker-compose.yml
 * repeat them.
 */
export const WORKER_NODE_FLAGS = ['--max-semi-space-size=4'];
