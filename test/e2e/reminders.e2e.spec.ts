import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MessageSender, REMINDER_SENDER } from '@recert/jobs';
import { simpleParser } from 'mailparser';
import type { WhatIfReport } from '@recert/domain';
import { Harness, seedProfile, startApp } from '../support/harness';
import { eventually } from '../support/wait';

type Recorded = { type: string; data: Record<string, unknown>; stream: string };

/** #14.4 renewal reminders through the API, with the manual clock moved and the scheduler run, never slept on. */
describe('renewal reminders (#14.4)', () => {
  let h: Harness;
  const code = 'azure-developer-associate';
  beforeAll(async () => {
    h = await startApp({
      clockStart: '2026-01-02T00:00:00Z',
      env: { POLICY_FILE: join(__dirname, '..', 'fixtures', 'policies', 'reminders.json') },
    });
    await seedProfile(h, 'rem-en', { displayName: 'Ada', earn: [{ code }] });
    await seedProfile(h, 'rem-tw', { displayName: '林小姐', earn: [{ code, earnedAt: '2026-01-01T20:00:00Z' }] });
    await seedProfile(h, 'rem-renews', { linked: true, earn: [{ code }] });
    // Holder "rem-tw" chose Traditional Chinese, Taipei time and the last reminder only, through the API (#15.3):
    // the reminder dispatcher reads that choice from the profile stream.
    const chosen = await h.http
      .put('/certification-profiles/rem-tw/preferences')
      .set('Authorization', `Bearer ${h.token(['support'])}`)
      .send({ language: 'zh-hant', timeZone: 'Asia/Taipei', reminders: 'last-only' });
    expect(chosen.status).toBe(200);
  }, 60_000);
  afterAll(async () => h.close(), 60_000);

  const admin = () => `Bearer ${h.token(['admin'])}`;
  const run = async (at: string): Promise<{ reminded: number }> => {
    h.clock.set(new Date(at));
    const res = await h.http.post('/admin/scheduler/run').set('Authorization', admin());
    expect(res.status).toBe(200);
    return res.body as { reminded: number };
  };
  const reminders = async (profileId: string): Promise<Recorded[]> => {
    const res = await h.http.get(`/certification-profiles/${profileId}/history`).set('Authorization', admin());
    return (res.body as { events: Recorded[] }).events.filter((e) => e.stream.startsWith('reminders-'));
  };
  const mails = (): string[] => readdirSync(join(h.dataDir, 'reminders')).filter((f) => f.endsWith('.eml'));

  it('R30: the window-opens reminder is sent once at the opening and recorded with its offset', async () => {
    expect((await run('2026-07-01T23:59:00Z')).reminded).toBe(0);
    expect((await run('2026-07-02T00:00:00Z')).reminded).toBe(2);
    expect((await run('2026-07-03T00:00:00Z')).reminded).toBe(0);
    expect(await reminders('rem-en')).toMatchObject([
      { type: 'RenewalReminderSent', data: { offset: 'window-opens', expiresAt: '2027-01-02T00:00:00.000Z', language: 'en', attempt: 1 } },
    ]);
    // rem-tw wants the last reminder only; rem-renews' window opened too.
    expect(await reminders('rem-tw')).toEqual([]);
    expect(mails()).toHaveLength(2);
    const mail = await simpleParser(readFileSync(join(h.dataDir, 'reminders', mails()[0] as string)));
    expect(mail.subject).toBe('Your Microsoft Certified: Azure Developer Associate can be renewed now');
    expect(mail.text).toContain('is open from July 2, 2026 until January 2, 2027');
  });

  it('R32: a failed delivery is recorded with its retry instant and retried after the backoff', async () => {
    const sender = h.app.get<MessageSender>(REMINDER_SENDER);
    const send = jest.spyOn(sender, 'send').mockRejectedValueOnce(new Error('mail relay down'));
    // A renewal cancels the rest of its cycle (R30): rem-renews renews before its P90D reminder.
    h.clock.set(new Date('2026-09-01T00:00:00Z'));
    await h.http
      .post(`/certification-profiles/rem-renews/certifications/${code}/renewal-attempts`)
      .set('Authorization', `Bearer ${h.token(['assessment-system'])}`)
      .send({ passed: true, language: 'en' })
      .expect(201);
    // rem-en's P90D is the one due (rem-renews' old-cycle P90D was cancelled, rem-tw wants the last only): it fails.
    expect((await run('2026-10-04T00:00:00Z')).reminded).toBe(0);
    const failed = (await reminders('rem-en')).filter((e) => e.type === 'RenewalReminderDeliveryFailed');
    expect(failed).toMatchObject([
      { data: { offset: 'P90D', attempt: 1, error: 'mail relay down', nextAttemptAt: '2026-10-04T00:05:00.000Z' } },
    ]);
    expect((await run('2026-10-04T00:04:59Z')).reminded).toBe(0);
    expect((await run('2026-10-04T00:05:00Z')).reminded).toBe(1);
    expect(send).toHaveBeenCalledTimes(2);
    expect((await reminders('rem-en')).at(-1)).toMatchObject({ type: 'RenewalReminderSent', data: { offset: 'P90D', attempt: 2 } });
    expect((await reminders('rem-renews')).map((e) => e.data['offset'])).toEqual(['window-opens']);
    send.mockRestore();
  });

  it('R33: last-only gets only the last offset, in the holder’s language, dates in the holder’s time zone', async () => {
    expect(await reminders('rem-tw')).toEqual([]);
    // rem-tw expires 2027-01-01T20:00Z, which is 2 January in Taipei; its P7D is due 2026-12-25T20:00Z.
    await run('2026-12-25T19:59:00Z');
    expect(await reminders('rem-tw')).toEqual([]);
    await run('2026-12-25T20:00:00Z');
    expect(await reminders('rem-tw')).toMatchObject([{ type: 'RenewalReminderSent', data: { offset: 'P7D', language: 'zh-Hant' } }]);
    const parsed = await Promise.all(mails().map((f) => simpleParser(readFileSync(join(h.dataDir, 'reminders', f)))));
    const mail = parsed.find((m) => JSON.stringify(m.to).includes('rem-tw@example.com'));
    expect(mail?.headers.get('content-language')).toBe('zh-Hant');
    expect(mail?.subject).toBe('Microsoft 認證：Azure 開發人員助理：距離續證期限還有 7 天');
    expect(mail?.text).toContain('將於 2027年1月2日 到期');
    expect(mail?.text).toContain('林小姐 您好');
  });

  it('R31: the what-if replay counts the reminders a candidate policy would change, not yet due ones only', async () => {
    const shipped = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'policies', 'reminders.json'), 'utf8')) as Record<
      string,
      unknown
    >[];
    // Adopted from 2026-12-28 (after every P7D here is due): P7D becomes P3D; rem-en's and rem-renews' pending ones change.
    const candidate = [
      ...shipped,
      { ...shipped[1], version: 'fewer-reminders', effectiveFrom: '2026-12-28T00:00:00Z', reminders: ['P3D'] },
    ];
    const started = await h.http
      .post('/admin/policy-replays')
      .set('Authorization', admin())
      .send({ policy: candidate, asOf: '2026-12-26T00:00:00Z' });
    expect(started.status).toBe(202);
    const report = await eventually('the replay finishes', async () => {
      const job = await h.http.get(`/admin/policy-replays/${(started.body as { id: string }).id}`).set('Authorization', admin());
      const body = job.body as { state: string; report: WhatIfReport | null };
      return body.state === 'done' ? body.report : undefined;
    });
    // rem-en and rem-tw: their P7D is due by asOf (unchanged), P3D is added. rem-renews (expires 2028-01-02): its
    // window-opens, P90D, P30D and P7D all fall after the adoption and go; P3D comes. Holder preferences do not count.
    expect(report?.totals.reminders).toEqual({ holdingsChanged: 3, added: 3, removed: 4 });
  });
});
