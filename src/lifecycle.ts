/**
 * A part started by `npm start` (worker, API, agent, Temporal, database) stops when its starter is
 * gone, however the starter ended (Ctrl-C, a crash, SIGKILL): the IPC channel it was spawned with
 * closes, and the part takes the path of its own graceful stop, as for a SIGTERM. Parts started any
 * other way have no channel and are untouched.
 */
export function endWithParent(): void {
  if (!process.channel) return;
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  process.channel.unref(); // the channel only watches the parent; it keeps nothing alive
}
