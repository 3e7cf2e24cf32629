import nodemailer, { Transporter } from 'nodemailer';
import { redactUrl } from '@recert/kernel';
import { NotificationSender, renderNotification, RenewalNotification } from './notification-sender';

/**
 * Sends renewal notifications by SMTP (NOTIFICATION_SENDER=smtp, SMTP_URL, SMTP_FROM). SMTP cannot deduplicate:
 * the dispatcher's lease and record-after-send make a repeat possible only after a crash between the send and the
 * record, and the fixed Message-ID (the notification id) lets mail systems drop that repeat.
 */
export class SmtpNotificationSender implements NotificationSender {
  private readonly transport: Transporter;

  constructor(
    url: string,
    private readonly from: string,
  ) {
    // The URL may hold credentials: it is given to the transport and never logged.
    try {
      this.transport = nodemailer.createTransport(url);
    } catch (error) {
      // The URL holds the password: no error leaves with it (#16.9).
      throw new Error(`SMTP_URL was refused: ${redactUrl(error instanceof Error ? error.message : String(error))}`);
    }
  }

  async send(n: RenewalNotification): Promise<'sent' | 'already-sent'> {
    // A holder whose personal data was erased has no address left: nothing to send, and nothing to retry.
    if (!n.to) return 'already-sent';
    const message = renderNotification(n);
    await this.transport.sendMail({
      from: this.from,
      to: n.to,
      subject: message.subject,
      text: message.text,
      messageId: message.messageId,
    });
    return 'sent';
  }

  close(): void {
    this.transport.close();
  }
}
