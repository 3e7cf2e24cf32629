import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer, { Transporter } from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser';
import { redactUrl } from '@recert/kernel';
import { publishFileOnce } from '../publish-file-once';
import type { ComposedMessage } from './holder-messages';

/** Where each kind of mail is kept by the file transport, under DATA_DIR: R4's notices, reminders, the other messages. */
export type MailFolder = 'notifications' | 'reminders' | 'messages';

export type Delivery = 'sent' | 'already-sent' | 'no-address';

/**
 * How every holder message leaves (#24.8, #29): one transport per process, chosen by NOTIFICATION_SENDER (`file` or
 * `smtp`), behind the notices, the reminders and the status messages alike. `deliver` sends one composed message
 * (its id names it); it resolves `no-address` when the holder has no address left (erased), and throws for a failure
 * worth retrying (a 4xx or 5xx answer, a dropped connection): the dispatchers' leases and records make the retry.
 */
export interface MailTransport {
  deliver(folder: MailFolder, id: string, message: ComposedMessage): Promise<Delivery>;
  /** Deletes what the transport kept of a message (its holder's data was erased, #16.5); absent when it keeps nothing. */
  forget?(folder: MailFolder, id: string): Promise<void>;
  close?(): void;
}

export const MAIL_TRANSPORT = Symbol('MAIL_TRANSPORT');

/**
 * The default, and the tests': each message as the RFC 5322 file it would be sent as, `DATA_DIR/<folder>/<id>.eml`,
 * published with an exclusive hard link, so two dispatchers (or a retry after a crash) never write it twice.
 */
export class FileMailTransport implements MailTransport {
  constructor(private readonly dataDir: string) {
    for (const folder of ['notifications', 'reminders', 'messages']) mkdirSync(join(dataDir, folder), { recursive: true });
  }

  deliver(folder: MailFolder, id: string, message: ComposedMessage): Promise<Delivery> {
    if (!message.to) return Promise.resolve('no-address');
    return Promise.resolve(publishFileOnce(join(this.dataDir, folder), `${id}.eml`, message.raw) ? 'sent' : 'already-sent');
  }

  /** The file held the name and address in clear: an erasure deletes it (a redacted copy would still say who). */
  forget(folder: MailFolder, id: string): Promise<void> {
    rmSync(join(this.dataDir, folder, `${id}.eml`), { force: true });
    return Promise.resolve();
  }
}

/**
 * SMTP (NOTIFICATION_SENDER=smtp, SMTP_URL, SMTP_FROM). SMTP cannot deduplicate: a send is claimed under a lease and
 * recorded right after, so a repeat is possible only after a crash (or a connection lost after the server took the
 * message) between the two; the fixed Message-ID lets mail systems drop that repeat.
 */
export class SmtpMailTransport implements MailTransport {
  private readonly transport: Transporter;
  private readonly envelopeFrom: string;

  constructor(url: string, from: string) {
    try {
      // The URL may hold credentials: it is given to the transport and never logged.
      // Bounded, so a send ends (or fails, and is retried) inside its 30 s lease (R84).
      this.transport = nodemailer.createTransport({ url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 15_000 });
    } catch (error) {
      // The URL holds the password: no error leaves with it (#16.9).
      throw new Error(`SMTP_URL was refused: ${redactUrl(error instanceof Error ? error.message : String(error))}`);
    }
    this.envelopeFrom = addressparser(from, { flatten: true })[0]?.address ?? from;
  }

  async deliver(_folder: MailFolder, _id: string, message: ComposedMessage): Promise<Delivery> {
    if (!message.to) return 'no-address';
    // The message is sent as composed (the same bytes the file transport keeps); the envelope names the parties.
    await this.transport.sendMail({ envelope: { from: this.envelopeFrom, to: [message.to] }, raw: message.raw });
    return 'sent';
  }

  close(): void {
    this.transport.close();
  }
}

/** The port each dispatcher sends through (a spec may give its own): idempotent by id where the transport can be. */
export interface MessageSender {
  send(id: string, message: ComposedMessage): Promise<Delivery>;
  forget(id: string): Promise<void>;
}

/** One folder's sender over the process's transport. */
export class FolderSender implements MessageSender {
  constructor(
    private readonly transport: MailTransport,
    readonly folder: MailFolder,
  ) {}

  send(id: string, message: ComposedMessage): Promise<Delivery> {
    return this.transport.deliver(this.folder, id, message);
  }

  async forget(id: string): Promise<void> {
    await this.transport.forget?.(this.folder, id);
  }
}

export const NOTIFICATION_SENDER = Symbol('NOTIFICATION_SENDER');
export const REMINDER_SENDER = Symbol('REMINDER_SENDER');
export const HOLDER_MESSAGE_SENDER = Symbol('HOLDER_MESSAGE_SENDER');
