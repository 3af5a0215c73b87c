import type { Client } from '@temporalio/client';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** starts, signals, updates and queries workflows: the API keeps no state of its own */
    temporal: Client;
    /** the task queue of the workflows the API starts */
    taskQueue: string;
  }
}

/** The Temporal client, built by whoever owns its connection (server.ts closes it after the app). */
export default fp<{ client: Client; taskQueue: string }>(
  async (app, { client, taskQueue }) => {
    app.decorate('temporal', client);
    app.decorate('taskQueue', taskQueue);
  },
  { name: 'temporal' },
);
