import { linkSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RenderedReminder } from './reminder-message';

export interface ReminderMessage extends RenderedReminder {
  reminderId: string;
  to: string | null;
}

export const REMINDER_SENDER = Symbol('REMINDER_SENDER');

/**
 * Delivers one reminder, idempotent by reminderId (a crash between send and record makes the dispatcher ask again).
 * Resolves `sent`, or `bounced` when the address is refused for good (no retry); throws for a failure worth retrying.
 */
export interface ReminderSender {
  send(message: ReminderMessage): Promise<'sent' | 'bounced'>;
}

/** The default: one e-mail-style file per reminder under DATA_DIR/reminders, published with an exclusive hard link. */
export class FileReminderSender implements ReminderSender {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'reminders');
    mkdirSync(this.dir, { recursive: true });
  }

  send(message: ReminderMessage): Promise<'sent' | 'bounced'> {
    // An erased holder has no address: nothing can ever be delivered, which is a bounce, not a retry.
    if (!message.to) return Promise.resolve('bounced');
    const final = join(this.dir, `${message.reminderId}.eml`);
    const temp = join(this.dir, `.${message.reminderId}.${process.pid}.${Date.now()}.tmp`);
    const body = [
      `Message-ID: <${message.reminderId}@recert>`,
      `To: ${message.to}`,
      `Subject: ${message.subject}`,
      `Content-Language: ${message.language}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      message.text,
    ].join('\r\n');
    writeFileSync(temp, body, { flag: 'wx' });
    try {
      linkSync(temp, final);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(temp);
    }
    return Promise.resolve('sent');
  }
}
