import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Notification, Notifier } from '../../domain/ports';

/**
 * Notifications as JSON lines in `<dataDir>/notifications.log` (and on stderr): the default when
 * no webhook is configured, and what tests read. One append per line, so lines never interleave.
 */
export class LogNotifier implements Notifier {
  readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'notifications.log');
  }

  async notify(notification: Notification): Promise<void> {
    const line = JSON.stringify({ at: new Date().toISOString(), ...notification });
    await mkdir(join(this.file, '..'), { recursive: true });
    await appendFile(this.file, line + '\n');
    process.stderr.write(`notification ${line}\n`);
  }
}
