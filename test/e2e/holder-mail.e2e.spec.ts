import { existsSync, readdirSync } from 'node:fs';
import { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { HolderMessageDispatcher, NotificationDispatcher } from '@recert/jobs';
import { UnsubscribeLinks } from '@recert/renewals';
import { LEASE_STORE, LeaseStore } from '@recert/kernel';
import { holderMessageIdOf, ProjectionRunner } from '@recert/projections';
import { expectNothingStored, expectProblem, Harness, seedProfile, startApp } from '../support/harness';
import { REMINDER_POLICY_FILE } from '../support/reminder-policies';
import { eventually } from '../support/wait';

type Mode = 'ok' | '4xx' | '5xx' | 'drop';
type Recorded = { type: string; data: Record<string, unknown>; stream: string; metadata?: Record<string, unknown> };

/**
 * An SMTP server on loopback (smtp-server) that accepts, answers 451 to MAIL FROM, 554 to the message, or drops the
 * connection once the message is in: `accepted` holds only what it answered 250 to, parsed by mailparser.
 */
class LoopbackSmtp {
  mode: Mode = 'ok';
  attempts = 0;
  readonly accepted: { to: string[]; mail: ParsedMail }[] = [];
  private readonly sockets = new Set<Socket>();
  readonly server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onMailFrom: (_address, _session, callback) => {
      this.attempts += 1;
      if (this.mode === '4xx') return callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
      callback();
    },
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (this.mode === '5xx') return callback(Object.assign(new Error('Transaction failed'), { responseCode: 554 }));
        // The message is in, but the connection goes before the 250: the client cannot know it arrived.
        if (this.mode === 'drop') return this.sockets.forEach((socket) => socket.destroy());
        const to = session.envelope.rcptTo.map((r) => r.address);
        void simpleParser(Buffer.concat(chunks))
          .then((mail) => this.accepted.push({ to, mail }))
          .finally(() => callback());
      });
    },
  });

  async start(): Promise<number> {
    this.server.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.on('error', () => undefined);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  to(address: string): ParsedMail[] {
    return this.accepted.filter((m) => m.to.includes(address)).map((m) => m.mail);
  }
}

const AA = 'azure-administrator-associate';

/** #29 and #24.8: every holder message delivered for real, over SMTP on loopback, and read back with mailparser. */
describe('holder messages over SMTP (#29, #24.8)', () => {
  let h: Harness;
  const smtp = new LoopbackSmtp();
  const admin = (sub = 'admin-ada') => `Bearer ${h.token(['admin'], { sub })}`;
  const run = async (at?: string): Promise<Record<string, number>> => {
    if (at) h.clock.set(new Date(at));
    const res = await h.http.post('/admin/scheduler/run').set('Authorization', admin());
    expect(res.status).toBe(200);
    return res.body as Record<string, number>;
  };
  const history = async (profileId: string): Promise<Recorded[]> =>
    ((await h.http.get(`/certification-profiles/${profileId}/history`).set('Authorization', admin())).body as { events: Recorded[] })
      .events;
  const prefer = (profileId: string, language: string, timeZone: string, reminders = 'all') =>
    h.http
      .put(`/certification-profiles/${profileId}/preferences`)
      .set('Authorization', `Bearer ${h.token(['support'])}`)
      .send({ language, timeZone, reminders })
      .expect(200);

  beforeAll(async () => {
    const port = await smtp.start();
    h = await startApp({
      clockStart: '2026-01-05T00:00:00Z',
      env: {
        POLICY_FILE: REMINDER_POLICY_FILE,
        NOTIFICATION_SENDER: 'smtp',
        SMTP_URL: `smtp://127.0.0.1:${port}`,
        SMTP_FROM: 'Recert Program <renewals@recert.example>',
        PUBLIC_BASE_URL: 'https://recert.example',
        NOTIFICATION_RETRY_MS: '20',
      },
    });
    // The Taipei holder's window opens 2026-07-01T20:00Z, which is 2 July, 04:00 in Taipei.
    await seedProfile(h, 'tw-1', { displayName: '林小姐', earn: [{ code: AA, earnedAt: '2026-01-01T20:00:00Z' }] });
    await prefer('tw-1', 'zh-Hant', 'Asia/Taipei');
    // One holder per failure, their windows a day apart; one Tokyo holder for the status messages.
    for (const [index, mode] of ['4xx', '5xx', 'drop'].entries()) {
      await seedProfile(h, `fail-${mode}`, { earn: [{ code: AA, earnedAt: `2026-01-0${index + 3}T00:00:00Z` }] });
    }
    h.clock.set(new Date('2026-01-06T00:00:00Z'));
    await seedProfile(h, 'jp-1', { displayName: '山田花子', earn: [{ code: AA }, { code: 'azure-fundamentals' }] });
    await prefer('jp-1', 'ja', 'Asia/Tokyo');
    await seedProfile(h, 'late-1', { earn: [{ code: AA }] });
  }, 120_000);
  afterAll(async () => {
    await h.close();
    await smtp.close();
  }, 60_000);

  it('R82 (#29 done-when): a zh-Hant holder in Asia/Taipei receives over SMTP the notice in Traditional Chinese, local dates, the assessment and modules', async () => {
    expect(await run('2026-07-01T20:00:00Z')).toMatchObject({ windowsOpened: 1, notified: 1, reminded: 1 });
    const mails = smtp.to('tw-1@example.com');
    // R4's notice and the window-opens reminder (#24.8: the reminder path uses the SMTP sender too).
    expect(mails).toHaveLength(2);
    const notice = mails.find(
      (m) => m.subject === '您的Microsoft 認證：Azure 系統管理員助理現在可以續證了' && m.text?.includes('已於'),
    ) as ParsedMail;
    expect(notice).toBeDefined();
    expect(notice.headers.get('content-language')).toBe('zh-Hant');
    expect(notice.from?.value).toEqual([{ address: 'renewals@recert.example', name: 'Recert Program' }]);
    expect(notice.to).toMatchObject({ value: [{ address: 'tw-1@example.com', name: '林小姐' }] });
    expect(notice.date?.toISOString()).toBe('2026-07-01T20:00:00.000Z');
    expect(notice.messageId).toMatch(/^<[0-9a-f-]{36}@recert>$/);
    expect(notice.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
    const text = notice.text as string;
    expect(text).toContain('林小姐 您好');
    // Local dates: the window opened on 2 July in Taipei; it expires 2 January 2027, 04:00 Taipei time.
    expect(text).toContain('續證期間已於 2026年7月2日 開始');
    expect(text).toMatch(/2027年1月2日 上午4:00 \[GMT\+8\]/);
    expect(text).toContain(`https://learn.recert.example/zh-Hant/credentials/${AA}/renew`);
    expect(text).toContain(
      '設定及管理虛擬網路（60 分鐘）：https://learn.recert.example/zh-Hant/training/modules/configure-virtual-networks',
    );
    expect(text).toContain('https://recert.example/dashboard');
    const html = notice.html as string;
    expect(html).toContain(`<a href="https://learn.recert.example/zh-Hant/credentials/${AA}/renew">參加免費的續證評量</a>`);
    expect(html).toContain(
      '<a href="https://learn.recert.example/zh-Hant/training/modules/configure-virtual-networks">設定及管理虛擬網路</a>',
    );
    // Long headers are folded (RFC 5322): unfold before reading them.
    const list = notice.headerLines.filter((l) => l.key.startsWith('list-')).map((l) => l.line.replace(/\s+/g, ' '));
    expect(list[0]).toMatch(/^List-Unsubscribe: <https:\/\/recert\.example\/unsubscribe\/u1\.[\w-]+\.[\w-]{43}>$/);
    expect(list[1]).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    // Nothing went to files: SMTP is the one sender of both paths.
    for (const folder of ['notifications', 'reminders', 'messages']) {
      const dir = join(h.dataDir, folder);
      expect(existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.eml')) : []).toEqual([]);
    }
  });

  for (const [index, mode] of (['4xx', '5xx', 'drop'] as const).entries()) {
    it(`R84: an SMTP server that fails (${mode}) is retried, and the message is accepted exactly once`, async () => {
      const address = `fail-${mode}@example.com`;
      smtp.mode = mode;
      const before = smtp.attempts;
      // The window opens: the notice and the window-opens reminder both fail.
      expect(await run(`2026-07-0${index + 3}T00:00:00Z`)).toMatchObject({ windowsOpened: 1, notified: 0, reminded: 0 });
      expect(smtp.attempts).toBeGreaterThan(before);
      expect(smtp.to(address)).toHaveLength(0);
      const health = (await h.http.get('/health')).body as { details?: { outbox?: { failing?: number } } };
      expect(JSON.stringify(health)).toContain('failing');
      smtp.mode = 'ok';
      // The outbox retries after its back-off (NOTIFICATION_RETRY_MS); the reminder after R32's 5 minutes.
      const dispatcher = h.app.get(NotificationDispatcher);
      await eventually(`the ${mode} notice delivered on a retry`, async () => {
        await dispatcher.dispatchOnce();
        return smtp.to(address).length >= 1 ? true : undefined;
      });
      await run(`2026-07-0${index + 3}T00:05:00Z`);
      // More runs and dispatches send nothing again: the notice and the reminder, each accepted once.
      await dispatcher.dispatchOnce();
      await run();
      const ids = smtp.to(address).map((m) => m.messageId);
      expect(ids).toHaveLength(2);
      expect(new Set(ids).size).toBe(2);
      const reminders = (await history(`fail-${mode}`)).filter((e) => e.stream.startsWith('reminders-')).map((e) => e.type);
      expect(reminders).toEqual(['RenewalReminderDeliveryFailed', 'RenewalReminderSent']);
    });
  }

  it('R83: suspension, reinstatement, an override and a revocation each reach the holder once, in Japanese, over SMTP', async () => {
    smtp.mode = 'ok';
    h.clock.set(new Date('2026-07-10T00:00:00Z'));
    const standing = (kind: string, body: object) =>
      h.http.post(`/certification-profiles/jp-1/certifications/${AA}/${kind}`).set('Authorization', admin()).send(body);
    await standing('suspension', { reason: '調査中 <case 9>', until: '2026-08-01T00:00:00Z' }).expect(200);
    expect(await run()).toMatchObject({ messaged: 1 });
    await standing('reinstatement', { reason: '調査完了' }).expect(200);
    const asked = await h.http
      .post('/admin/override-requests')
      .set('Authorization', admin('admin-ada'))
      .send({
        kind: 'extend-expiry',
        target: { profileId: 'jp-1', certificationCode: AA },
        params: { by: 'P1M' },
        reason: '試験会場の障害',
      })
      .expect(201);
    await h.http
      .post(`/admin/override-requests/${(asked.body as { id: string }).id}/approve`)
      .set('Authorization', admin('admin-bob'))
      .expect(200);
    expect(await run()).toMatchObject({ messaged: 2 });
    await standing('revocation', { reason: '不正行為' }).expect(200);
    expect(await run()).toMatchObject({ messaged: 1 });
    expect(await run()).toMatchObject({ messaged: 0 });
    // Its window opened on this run too (the notice and the window-opens reminder): the status messages are the rest.
    const mails = smtp.to('jp-1@example.com').filter((m) => !m.subject?.includes('今すぐ更新できます'));
    const subjects = mails.map((m) => m.subject);
    expect(subjects).toEqual(
      expect.arrayContaining([
        'Microsoft 認定資格: Azure Administrator Associate が一時停止されました',
        'Microsoft 認定資格: Azure Administrator Associate が復元されました',
        'Microsoft 認定資格: Azure Administrator Associate に変更がありました',
        'Microsoft 認定資格: Azure Administrator Associate が取り消されました',
      ]),
    );
    expect(mails).toHaveLength(4);
    const suspended = mails.find((m) => m.subject?.includes('一時停止')) as ParsedMail;
    // 00:00 UTC is 09:00 in Tokyo; the reason is escaped in the HTML part.
    expect(suspended.text).toMatch(/2026年7月10日 9:00 JST に一時停止されました \(2026年8月1日 まで\)/);
    expect(suspended.html).toContain('調査中 &lt;case 9&gt;');
    const override = mails.find((m) => m.subject?.includes('変更')) as ParsedMail;
    expect(override.text).toContain('有効期限が 2027年1月6日 から 2027年2月6日 に延長されました');
    // A revoked holding renews no more: the message links the exam that earns it again, not the assessment.
    const revoked = mails.find((m) => m.subject?.includes('取り消され')) as ParsedMail;
    expect(revoked.text).toContain(`https://learn.recert.example/ja/credentials/${AA}/exam`);
    expect(revoked.text).not.toContain('/renew');
    const recorded = (await history('jp-1')).filter((e) => e.stream.startsWith('messages-'));
    expect(recorded.map((e) => [e.type, e.data['kind'], e.data['language']])).toEqual([
      ['HolderMessageSent', 'suspended', 'ja'],
      ['HolderMessageSent', 'reinstated', 'ja'],
      ['HolderMessageSent', 'override-applied', 'ja'],
      ['HolderMessageSent', 'revoked', 'ja'],
    ]);
  });

  it('R80/R81: the one-click unsubscribe (RFC 8058) records the holder’s reminders preference none, with who, when and why', async () => {
    const notice = smtp.to('tw-1@example.com')[0] as ParsedMail;
    const link = /<(https:\/\/recert\.example(\/unsubscribe\/[^>]+))>/.exec(
      notice.headerLines.find((l) => l.key === 'list-unsubscribe')?.line.replace(/\s+/g, ' ') ?? '',
    );
    const path = link?.[2] as string;
    // A GET (a mail scanner following the link) changes nothing: it shows a button that posts.
    await expectNothingStored(h, async () => {
      const page = await h.http.get(path).expect(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.text).toContain('<form method="post">');
      expect(page.text).toContain('停止續證提醒');
    });
    // A token recert did not sign, or another holder's id under this signature: 404, nothing stored.
    await expectNothingStored(h, async () => {
      expectProblem(await h.http.post(path.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))), 404, 'UNSUBSCRIBE_LINK_NOT_FOUND');
      const other = path.replace(/u1\.[\w-]+\./, `u1.${Buffer.from('jp-1').toString('base64url')}.`);
      expectProblem(await h.http.post(other), 404, 'UNSUBSCRIBE_LINK_NOT_FOUND');
      expectProblem(await h.http.post('/unsubscribe/nonsense'), 404, 'UNSUBSCRIBE_LINK_NOT_FOUND');
    });
    h.clock.set(new Date('2026-07-20T00:00:00Z'));
    await h.http.post(path).type('form').send('List-Unsubscribe=One-Click').expect(200);
    const prefs = await h.http.get('/certification-profiles/tw-1/preferences').set('Authorization', admin()).expect(200);
    expect(prefs.body).toMatchObject({ language: 'zh-Hant', timeZone: 'Asia/Taipei', reminders: 'none' });
    const changed = (await history('tw-1')).filter((e) => e.type === 'ProfilePreferencesChanged').at(-1) as Recorded;
    expect(changed.data).toMatchObject({
      reminders: 'none',
      changedAt: '2026-07-20T00:00:00.000Z',
      reason: 'one-click unsubscribe (RFC 8058) from a renewal message',
    });
    expect(JSON.stringify(changed)).toContain('unsubscribe-link:tw-1');
    // A second click records nothing.
    await expectNothingStored(h, async () => {
      await h.http.post(path).expect(200);
    });
    // A link from a message sent before its profile was merged away unsubscribes the holder where they are now.
    await seedProfile(h, 'mg-src');
    await seedProfile(h, 'mg-tgt');
    await h.http
      .post('/certification-profiles/mg-tgt/merges')
      .set('Authorization', `Bearer ${h.token(['support'])}`)
      .send({ sourceProfileId: 'mg-src' })
      .expect(200);
    const merged = new URL(h.app.get(UnsubscribeLinks).url('mg-src')).pathname;
    await h.http.post(merged).expect(200);
    const target = await h.http.get('/certification-profiles/mg-tgt/preferences').set('Authorization', admin()).expect(200);
    expect(target.body).toMatchObject({ reminders: 'none' });
    // R80: no reminder any more (its P90D fell due 2026-10-03T20:00Z); the others still get theirs (fail-4xx's P90D).
    await run('2026-10-05T00:00:00Z');
    const sent = (await history('tw-1')).filter((e) => e.type === 'RenewalReminderSent').map((e) => e.data['offset']);
    expect(sent).toEqual(['window-opens']);
    expect((await history('fail-4xx')).filter((e) => e.type === 'RenewalReminderSent').map((e) => e.data['offset'])).toEqual([
      'window-opens',
      'P90D',
    ]);
  });

  it('R83: an expiry is told with the exam to earn it again; a fact older than 7 days when first dispatched is dropped, not sent', async () => {
    h.clock.set(new Date('2026-10-10T00:00:00Z'));
    await h.http
      .post(`/certification-profiles/late-1/certifications/${AA}/revocation`)
      .set('Authorization', admin())
      .send({ reason: 'duplicate account' })
      .expect(200);
    // The dispatcher first runs 8 days later (an outage): the message is old news, recorded dropped.
    expect(await run('2026-10-18T00:00:01Z')).toMatchObject({ messaged: 0 });
    expect(smtp.to('late-1@example.com').filter((m) => m.subject?.includes('revoked'))).toHaveLength(0);
    const dropped = (await history('late-1')).filter((e) => e.stream.startsWith('messages-'));
    expect(dropped).toMatchObject([{ type: 'HolderMessageDropped', data: { kind: 'revoked', reason: 'stale' } }]);
    // tw-1 expires 2027-01-01T20:00Z: the scheduler expires it and the message says so, with the exam link.
    expect(await run('2027-01-01T20:00:00Z')).toMatchObject({ messaged: expect.any(Number) });
    const expired = smtp.to('tw-1@example.com').find((m) => m.subject === '您的Microsoft 認證：Azure 系統管理員助理已到期');
    expect(expired?.text).toContain('已於 2027年1月2日 上午4:00 [GMT+8] 到期');
    expect(expired?.text).toContain(`https://learn.recert.example/zh-Hant/credentials/${AA}/exam`);
  });

  it('R84: a status message leased by another process is not sent; once that lease is released it is sent once', async () => {
    const res = await h.http
      .post(`/certification-profiles/fail-4xx/certifications/${AA}/suspension`)
      .set('Authorization', admin())
      .send({ reason: 'audit' })
      .expect(200);
    const event = (res.body as { events: { id: string; type: string }[] }).events[0] as { id: string };
    const lease = `message:${holderMessageIdOf(event.id)}`;
    const leases = h.app.get<LeaseStore>(LEASE_STORE);
    expect((await leases.acquire([lease], 'another-worker', 600_000)).map((taken) => taken.name)).toEqual([lease]);
    const dispatcher = h.app.get(HolderMessageDispatcher);
    await h.app.get(ProjectionRunner).waitFor((res.body as { position: number }).position, 60_000);
    expect(await dispatcher.dispatchOnce()).toBe(0);
    const suspended = () => smtp.to('fail-4xx@example.com').filter((m) => m.subject?.includes('is suspended'));
    expect(suspended()).toHaveLength(0);
    await leases.release(lease, 'another-worker');
    expect(await dispatcher.dispatchOnce()).toBe(1);
    expect(await dispatcher.dispatchOnce()).toBe(0);
    expect(suspended()).toHaveLength(1);
  });

  it('R82: GET /admin/messages/preview renders any kind in any language for a sample holder; bad input is a 400', async () => {
    const res = await h.http.get('/admin/messages/preview?kind=revoked&language=zh-Hant').set('Authorization', admin()).expect(200);
    expect(res.body).toMatchObject({ kind: 'revoked', language: 'zh-Hant' });
    expect((res.body as { subject: string }).subject).toContain('已被撤銷');
    expect((res.body as { headers: string[] }).headers).toEqual(
      expect.arrayContaining(['List-Unsubscribe-Post: List-Unsubscribe=One-Click', expect.stringMatching(/^Message-ID: /)]),
    );
    expect((res.body as { html: string }).html).toContain('Sample reason &lt;as an admin would write it&gt;');
    expectProblem(await h.http.get('/admin/messages/preview?kind=teleport').set('Authorization', admin()), 400, 'VALIDATION_FAILED');
    expectProblem(
      await h.http.get('/admin/messages/preview?kind=expired&language=fr').set('Authorization', admin()),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await h.http.get('/admin/messages/preview?kind=expired').set('Authorization', `Bearer ${h.token(['candidate'])}`),
      403,
      'FORBIDDEN',
    );
  });

  it('#29: the status messages flow through the one dispatcher service the worker runs', () => {
    expect(h.app.get(HolderMessageDispatcher)).toBeInstanceOf(HolderMessageDispatcher);
  });
});
