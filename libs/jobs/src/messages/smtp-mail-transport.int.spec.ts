import { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { Catalog } from '@recert/domain';
import { join } from 'node:path';
import { HolderMessages } from './holder-messages';
import { SmtpMailTransport } from './mail-transport';
import { MESSAGE_KINDS, MessageTemplates } from './message-templates';

/** Against a real SMTP server on loopback (smtp-server), not a mock of the transport. */
describe('SMTP mail transport (#24.8, #29)', () => {
  let server: SMTPServer;
  let port: number;
  const received: { from: string; to: string[]; raw: Buffer }[] = [];

  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  const catalog = Catalog.parse([
    {
      code: 'azure-administrator-associate',
      name: 'Microsoft Certified: Azure Administrator Associate',
      level: 'associate',
      languages: ['en'],
    },
  ]);
  const messages = new HolderMessages(MessageTemplates.load(join(__dirname, '..', '..', '..', '..', 'config', 'messages'), 'en'), {
    from: 'recert <no-reply@recert.example>',
    publicBaseUrl: 'https://recert.example',
    unsubscribeUrl: () => 'https://recert.example/unsubscribe/t',
  });
  const compose = (to: string | null) =>
    messages.compose(
      {
        kind: 'window-open',
        messageId: '0f0e0d0c-0b0a-4908-8706-050403020100',
        certification: catalog.get('azure-administrator-associate') as NonNullable<ReturnType<Catalog['get']>>,
        windowOpensAt: '2026-02-01T00:00:00.000Z',
        expiresAt: '2026-08-01T00:00:00.000Z',
      },
      { profileId: 'p-1', to, displayName: 'Ada Lovelace', language: 'en', timeZone: 'UTC', reminders: 'all' },
      new Date('2026-02-01T00:00:05.000Z'),
    );

  it('R4/R82: delivers the composed message as it is, the envelope from SMTP_FROM, the Message-ID fixed by the notification', async () => {
    const transport = new SmtpMailTransport(`smtp://127.0.0.1:${port}`, 'recert <no-reply@recert.example>');
    expect(await transport.deliver('notifications', 'n-1', await compose('ada@example.com'))).toBe('sent');
    transport.close();
    expect(received).toHaveLength(1);
    const mail = received[0] as { from: string; to: string[]; raw: Buffer };
    expect(mail.from).toBe('no-reply@recert.example');
    expect(mail.to).toEqual(['ada@example.com']);
    const parsed = await simpleParser(mail.raw);
    expect(parsed.messageId).toBe('<0f0e0d0c-0b0a-4908-8706-050403020100@recert>');
    expect(parsed.subject).toBe('Your Microsoft Certified: Azure Administrator Associate can be renewed now');
    expect(parsed.text).toContain('Hello Ada Lovelace,');
  });

  it('R82: every kind in every language goes through SMTP and reads back in its language (mailparser)', async () => {
    const transport = new SmtpMailTransport(`smtp://127.0.0.1:${port}`, 'recert <no-reply@recert.example>');
    const certification = catalog.get('azure-administrator-associate') as NonNullable<ReturnType<Catalog['get']>>;
    const before = received.length;
    for (const language of ['en', 'zh-Hant', 'ja']) {
      for (const kind of MESSAGE_KINDS) {
        const message = await messages.compose(
          {
            kind,
            messageId: `${kind}-${language}`,
            certification,
            windowOpensAt: '2026-02-01T00:00:00.000Z',
            expiresAt: '2026-08-01T00:00:00.000Z',
            at: '2026-03-01T00:00:00.000Z',
            reason: 'r',
            offset: 'P30D',
            override: { kind: 'grant-attempts', attempts: 2 },
          },
          { profileId: 'p-1', to: `${language}@example.com`, displayName: 'Ada', language, timeZone: 'Asia/Taipei', reminders: 'all' },
          new Date('2026-03-01T00:00:00.000Z'),
        );
        expect(await transport.deliver('messages', `${kind}-${language}`, message)).toBe('sent');
      }
    }
    transport.close();
    const parsed = await Promise.all(received.slice(before).map((mail) => simpleParser(mail.raw)));
    expect(parsed).toHaveLength(3 * MESSAGE_KINDS.length);
    for (const mail of parsed) {
      const [kind, language] = /^<(.+)-(en|zh-Hant|ja)@recert>$/.exec(mail.messageId ?? '')?.slice(1) ?? [];
      expect(mail.headers.get('content-language')).toBe(language);
      expect(mail.to).toMatchObject({ value: [{ address: `${language}@example.com` }] });
      expect(kind && (MESSAGE_KINDS as readonly string[]).includes(kind)).toBe(true);
      expect(mail.text).toContain(language === 'en' ? 'Hello Ada,' : language === 'ja' ? 'Ada 様' : 'Ada 您好');
      expect(mail.html).toContain(`<html lang="${language}">`);
    }
  });

  it('R4: a holder whose personal data was erased has no address: nothing is sent, and nothing is retried', async () => {
    const before = received.length;
    const transport = new SmtpMailTransport(`smtp://127.0.0.1:${port}`, 'recert <no-reply@recert.example>');
    expect(await transport.deliver('notifications', 'n-2', await compose(null))).toBe('no-address');
    transport.close();
    expect(received).toHaveLength(before);
  });
});
