import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { publishFileOnce } from '../publish-file-once';
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
    const body = [
      `Message-ID: <${message.reminderId}@recert>`,
      `To: ${message.to}`,
      `Subject: ${message.subject}`,
      `Content-Language: ${message.language}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      message.text,
    ].join('\r\n');
    // Already there (a retry after a crash between sending and recording): it was sent.
    publishFileOnce(this.dir, `${message.reminderId}.eml`, body);
    return Promise.resolve('sent');
  }
}
