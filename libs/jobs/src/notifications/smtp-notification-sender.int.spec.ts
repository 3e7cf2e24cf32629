import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { SmtpNotificationSender } from './smtp-notification-sender';

/** Against a real SMTP server on loopback (smtp-server), not a mock of the transport. */
describe('SMTP notification sender', () => {
  let server: SMTPServer;
  let port: number;
  const received: { from: string; to: string[]; raw: string }[] = [];

  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        let raw = '';
        stream.on('data', (chunk: Buffer) => (raw += chunk.toString()));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  const notification = {
    notificationId: '0f0e0d0c-0b0a-4908-8706-050403020100',
    profileId: 'p-1',
    to: 'ada@example.com',
    displayName: 'Ada Lovelace',
    certificationCode: 'azure-administrator-associate',
    certificationName: 'Microsoft Certified: Azure Administrator Associate',
    windowOpensAt: '2026-02-01T00:00:00.000Z',
    expiresAt: '2026-08-01T00:00:00.000Z',
  };

  it('R4: delivers the renewal notification with a Message-ID fixed by the notification, so repeats can be dropped', async () => {
    const sender = new SmtpNotificationSender(`smtp://127.0.0.1:${port}`, 'recert <no-reply@recert.example>');
    expect(await sender.send(notification)).toBe('sent');
    sender.close();
    expect(received).toHaveLength(1);
    const mail = received[0] as { from: string; to: string[]; raw: string };
    expect(mail.from).toBe('no-reply@recert.example');
    expect(mail.to).toEqual(['ada@example.com']);
    // Headers may be folded over lines (RFC 5322): unfold before reading them.
    const raw = mail.raw.replace(/\r?\n[ \t]+/g, ' ');
    expect(raw).toContain('Message-ID: <0f0e0d0c-0b0a-4908-8706-050403020100@recert>');
    expect(raw).toContain('Subject: Your Microsoft Certified: Azure Administrator Associate can be renewed now');
    expect(raw).toContain('Hello Ada Lovelace,');
  });

  it('R4: a holder whose personal data was erased has no address: nothing is sent, and nothing is retried', async () => {
    const before = received.length;
    const sender = new SmtpNotificationSender(`smtp://127.0.0.1:${port}`, 'recert <no-reply@recert.example>');
    expect(await sender.send({ ...notification, to: null })).toBe('already-sent');
    sender.close();
    expect(received).toHaveLength(before);
  });
});
