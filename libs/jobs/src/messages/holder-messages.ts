import MailComposer from 'nodemailer/lib/mail-composer';
import { Certification, certificationNameIn, ReminderPreference, renewalGuide, WINDOW_OPENS } from '@recert/domain';
import { MessageKind, MessageTemplates, RenderedMessage } from './message-templates';

export const HOLDER_MESSAGES = Symbol('HOLDER_MESSAGES');

/** What a message says, whatever its language: the facts of one holding and of the event it tells of (#29). */
export interface MessageFacts {
  kind: MessageKind;
  /** Stable per message: its Message-ID, so a repeat after a crash is recognisable as the same message. */
  messageId: string;
  certification: Certification;
  expiresAt: string | null;
  windowOpensAt?: string | null;
  /** When the told fact happened (expired, revoked, suspended, reinstated, override applied). */
  at?: string;
  /** A suspension's end, when it has one. */
  until?: string | null;
  reason?: string;
  /** reminder: its offset (`window-opens` or a duration). */
  offset?: string;
  /** override-applied: what the override did. */
  override?: { kind: 'extend-expiry' | 'reopen-window' | 'grant-attempts'; from?: string | null; to?: string | null; attempts?: number };
}

/** Who it goes to, and how they want it: the profile's preferences, or null language for the program default. */
export interface MessageRecipient {
  profileId: string;
  to: string | null;
  displayName: string | null;
  language: string | null;
  timeZone: string;
  reminders: ReminderPreference;
}

export interface ComposedMessage extends RenderedMessage {
  messageId: string;
  to: string | null;
  /** The whole RFC 5322 message, `multipart/alternative` (text, HTML), as it is sent and as the file sender keeps it. */
  raw: Buffer;
}

export interface MessageSettings {
  from: string;
  publicBaseUrl: string;
  unsubscribeUrl(profileId: string): string;
}

function formats(language: string, timeZone: string): { day: Intl.DateTimeFormat; instant: Intl.DateTimeFormat } {
  const make = (zone: string): { day: Intl.DateTimeFormat; instant: Intl.DateTimeFormat } => ({
    day: new Intl.DateTimeFormat(language, { dateStyle: 'long', timeZone: zone }),
    instant: new Intl.DateTimeFormat(language, {
      year: 'numeric',
      month: 'long',
      day: 'numeric',
      hour: 'numeric',
      minute: '2-digit',
      timeZone: zone,
      timeZoneName: 'short',
    }),
  });
  try {
    return make(timeZone);
  } catch {
    // An unknown zone (a preference recorded before the runtime's database dropped it) writes UTC, not nothing.
    return make('UTC');
  }
}

function minutes(language: string, value: number): string {
  try {
    return new Intl.NumberFormat(language, { style: 'unit', unit: 'minute', unitDisplay: 'long' }).format(value);
  } catch {
    return `${value} min`;
  }
}

/**
 * Writes every message to a holder (#29, R82): in the holder's language (their preference, else
 * MESSAGE_DEFAULT_LANGUAGE), dates in their time zone, from the templates; with the renewal assessment, the
 * preparation modules and the exam of the catalog in that language, the dashboard link and the signed one-click
 * unsubscribe (RFC 8058); built by nodemailer's MailComposer as `multipart/alternative` with From, Date, Message-ID.
 */
export class HolderMessages {
  constructor(
    readonly templates: MessageTemplates,
    private readonly settings: MessageSettings,
  ) {}

  /** The values a template sees, all of them strings, lists or flags already in the holder's language and zone. */
  context(facts: MessageFacts, recipient: MessageRecipient, now: Date): { language: string; values: Record<string, unknown> } {
    const language = this.templates.languageFor(recipient.language ?? this.templates.defaultLanguage);
    const { day, instant } = formats(language, recipient.timeZone);
    const dayOf = (iso: string | null | undefined): string => (iso ? day.format(new Date(iso)) : '');
    const instantOf = (iso: string | null | undefined): string => (iso ? instant.format(new Date(iso)) : '');
    const guide = renewalGuide(facts.certification, language);
    const modules = guide.modules.map((module) => ({ title: module.title, url: module.url, duration: minutes(language, module.minutes) }));
    const override = facts.override;
    return {
      language,
      values: {
        displayName: recipient.displayName ?? '',
        certificationName: certificationNameIn(facts.certification, language),
        certificationCode: facts.certification.code,
        windowOpensOn: dayOf(facts.windowOpensAt),
        expiresOn: dayOf(facts.expiresAt),
        expiresAt: instantOf(facts.expiresAt),
        daysLeft: facts.expiresAt ? String(Math.max(0, Math.ceil((Date.parse(facts.expiresAt) - now.getTime()) / 86_400_000))) : '',
        windowOpens: facts.offset === WINDOW_OPENS,
        at: instantOf(facts.at),
        until: dayOf(facts.until),
        reason: facts.reason ?? '',
        extendExpiry: override?.kind === 'extend-expiry',
        reopenWindow: override?.kind === 'reopen-window',
        grantAttempts: override?.kind === 'grant-attempts',
        from: dayOf(override?.from),
        to: dayOf(override?.to),
        attempts: override?.attempts === undefined ? '' : String(override.attempts),
        // An expired or revoked holding renews no more: the exam earns it again, so no assessment link then.
        assessmentUrl: facts.kind === 'expired' || facts.kind === 'revoked' ? null : guide.assessmentUrl,
        examUrl: guide.examUrl,
        modules,
        hasModules: modules.length > 0,
        dashboardUrl: `${this.settings.publicBaseUrl}/dashboard`,
        unsubscribeUrl: this.settings.unsubscribeUrl(recipient.profileId),
        remindersNone: recipient.reminders === 'none',
        remindersLastOnly: recipient.reminders === 'last-only',
      },
    };
  }

  render(facts: MessageFacts, recipient: MessageRecipient, now: Date): RenderedMessage {
    const { language, values } = this.context(facts, recipient, now);
    return this.templates.render(facts.kind, language, values);
  }

  async compose(facts: MessageFacts, recipient: MessageRecipient, now: Date): Promise<ComposedMessage> {
    const rendered = this.render(facts, recipient, now);
    const unsubscribe = this.settings.unsubscribeUrl(recipient.profileId);
    const messageId = `<${facts.messageId}@recert>`;
    const composer = new MailComposer({
      from: this.settings.from,
      ...(recipient.to ? { to: recipient.displayName ? { name: recipient.displayName, address: recipient.to } : recipient.to } : {}),
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html,
      messageId,
      date: now,
      headers: {
        'Content-Language': rendered.language,
        // RFC 8058: a signed HTTPS link, POSTed to by the mail client; RFC 2369's angle brackets.
        'List-Unsubscribe': `<${unsubscribe}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        'Auto-Submitted': 'auto-generated',
      },
    });
    const raw = await composer.compile().build();
    return { ...rendered, messageId, to: recipient.to, raw };
  }
}
