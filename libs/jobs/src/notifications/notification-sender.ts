import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { publishFileOnce } from '../publish-file-once';

export interface RenewalNotification {
  notificationId: string;
  profileId: string;
  to: string | null;
  displayName: string | null;
  certificationCode: string;
  certificationName: string;
  windowOpensAt: string;
  expiresAt: string;
}

export const NOTIFICATION_SENDER = Symbol('NOTIFICATION_SENDER');

/** Delivers one notification. Must be idempotent by notificationId: a crash may make the dispatcher ask twice. */
export interface NotificationSender {
  send(notification: RenewalNotification): Promise<'sent' | 'already-sent'>;
  /** Deletes what this sender kept of a notification (its holder's data was erased, #16.5); absent when it keeps nothing. */
  forget?(notificationId: string): Promise<void>;
}

/** The one rendering of a renewal notification, for every sender. */
export function renderNotification(n: RenewalNotification): { messageId: string; subject: string; text: string } {
  return {
    messageId: `<${n.notificationId}@recert>`,
    subject: `Your ${n.certificationName} can be renewed now`,
    text: [
      `Hello ${n.displayName ?? ''},`.trim(),
      '',
      `The renewal window of ${n.certificationName} (${n.certificationCode}) opened on ${n.windowOpensAt}.`,
      `Pass the free online renewal assessment before ${n.expiresAt} to extend it by a year.`,
      '',
    ].join('\r\n'),
  };
}

/**
 * The default sender: one e-mail-style file per notification under DATA_DIR/notifications, published with an
 * exclusive hard link, so two dispatchers (or a retry after a crash) can never write it twice.
 */
export class FileNotificationSender implements NotificationSender {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'notifications');
    mkdirSync(this.dir, { recursive: true });
  }

  send(n: RenewalNotification): Promise<'sent' | 'already-sent'> {
    const message = renderNotification(n);
    const body = [
      `Message-ID: ${message.messageId}`,
      `To: ${n.to ?? '(erased)'}`,
      `Subject: ${message.subject}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      message.text,
    ].join('\r\n');
    return Promise.resolve(publishFileOnce(this.dir, `${n.notificationId}.eml`, body) ? 'sent' : 'already-sent');
  }

  /** The file held the name and address in clear: an erasure deletes it (a redacted copy would still say who). */
  forget(notificationId: string): Promise<void> {
    rmSync(join(this.dir, `${notificationId}.eml`), { force: true });
    return Promise.resolve();
  }
}
