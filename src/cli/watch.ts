// `--watch`: reads a thing every interval and redraws it while it changes, until it ends. On a
// terminal the view is redrawn in place; piped, each new view is printed once.
import { setTimeout as sleep } from 'node:timers/promises';

export interface WatchOptions<T> {
  read: () => Promise<T>;
  render: (value: T) => string;
  /** whether the thing has ended (the watch stops there) */
  ended: (value: T) => boolean;
  intervalMs?: number;
  out?: NodeJS.WriteStream;
}

export async function watch<T>({ read, render, ended, intervalMs = 1000, out = process.stdout }: WatchOptions<T>): Promise<T> {
  let shown = '';
  let lines = 0;
  for (;;) {
    const value = await read();
    const view = render(value);
    if (view !== shown) {
      // Up over the last view and clear to the end, then the new one.
      if (out.isTTY && lines > 0) out.write(`\x1b[${lines}F\x1b[J`);
      out.write(`${view}\n`);
      shown = view;
      lines = view.split('\n').length;
    }
    if (ended(value)) return value;
    await sleep(intervalMs);
  }
}

/** A progress bar on one line of a terminal (a plain percentage every tenth when piped). */
export function progressBar(total: number, label: string, out: NodeJS.WriteStream = process.stderr): (done: number) => void {
  let lastTenth = -1;
  return (done) => {
    const share = total > 0 ? Math.min(1, done / total) : 1;
    if (out.isTTY) {
      const width = 30;
      const filled = Math.round(share * width);
      out.write(`\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${Math.round(share * 100)}% ${mib(done)}/${mib(total)} MiB${share === 1 ? '\n' : ''}`);
    } else if (Math.floor(share * 10) > lastTenth) {
      lastTenth = Math.floor(share * 10);
      out.write(`${label} ${lastTenth * 10}%\n`);
    }
  };
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
