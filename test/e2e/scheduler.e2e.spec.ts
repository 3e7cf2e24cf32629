import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import type Database from 'better-sqlite3';
import { ProjectionRunner, READ_DB } from '@recert/projections';
import { MessageSender, Scheduler } from '@recert/jobs';
import { notificationDispatcher } from '../support/dispatchers';
import { expectProblem, Harness, seedProfile, startApp } from '../support/harness';

type Cert = { code: string; status: string; blockedBy: string[]; canAttemptNow: boolean; attempts: number; expiresAt: string | null };

/** Time, the scheduler and notifications (R3, R4, R9) through the API, with the manual clock moved, never slept on. */
describe('scheduler over HTTP', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApp({ clockStart: '2026-01-01T00:00:00Z' });
  }, 60_000);
  afterAll(async () => h.close(), 60_000);

  const as = (roles: Parameters<Harness['token']>[0], profileId?: string) => `Bearer ${h.token(roles, profileId ? { profileId } : {})}`;
  const run = () => h.http.post('/admin/scheduler/run').set('Authorization', as(['scheduler']));
  const dashboard = async (profileId: string, position?: number) => {
    const res = await h.http
      .get(`/certification-profiles/${profileId}/dashboard${position ? `?consistentWith=${position}` : ''}`)
      .set('Authorization', as(['candidate'], profileId));
    expect(res.status).toBe(200);
    return res.body as { certifications: Cert[]; profile: { displayName: string; linkedLearnProfileId: string | null } };
  };

  it('R3/R4/R9: the window opens once with one notification; the holding expires once at its instant', async () => {
    await h.http
      .post('/certification-profiles')
      .set('Authorization', as(['exam-system']))
      .send({
        profileId: 'sched-1',
        accountId: 'acc-s1',
        accountType: 'personal',
        displayName: 'Katherine Johnson',
        email: 'kj@example.com',
      })
      .expect(201);
    const earned = await h.http
      .post('/certification-profiles/sched-1/certifications')
      .set('Authorization', as(['exam-system']))
      .send({ certificationCode: 'azure-developer-associate' });
    expect(earned.body).toMatchObject({ expiresAt: '2027-01-01T00:00:00.000Z' });

    expect((await run()).body).toMatchObject({ windowsOpened: 0, expired: 0, notified: 0 });
    let cert = (await dashboard('sched-1', (earned.body as { position: number }).position)).certifications[0];
    expect(cert).toMatchObject({ status: 'active', blockedBy: ['WINDOW_NOT_OPEN', 'PROFILE_NOT_LINKED'], canAttemptNow: false });

    h.clock.set(new Date('2026-07-01T00:00:00Z'));
    expect((await run()).body).toMatchObject({ windowsOpened: 1, expired: 0, notified: 1 });
    expect((await run()).body).toMatchObject({ windowsOpened: 0, expired: 0, notified: 0 });
    cert = (await dashboard('sched-1')).certifications[0];
    expect(cert).toMatchObject({ status: 'renewal-open', blockedBy: ['PROFILE_NOT_LINKED'] });

    const files = readdirSync(join(h.dataDir, 'notifications')).filter((f) => f.endsWith('.eml'));
    expect(files).toHaveLength(1);
    const mail = await simpleParser(readFileSync(join(h.dataDir, 'notifications', files[0] as string)));
    expect(mail.to).toMatchObject({ value: [{ address: 'kj@example.com' }] });
    expect(mail.text).toContain('Azure Developer Associate');

    h.clock.set(new Date('2027-01-01T00:00:00Z'));
    expect((await run()).body).toMatchObject({ windowsOpened: 0, expired: 1 });
    expect((await run()).body).toMatchObject({ expired: 0 });
    cert = (await dashboard('sched-1')).certifications[0];
    expect(cert).toMatchObject({ status: 'expired', blockedBy: ['CERTIFICATION_EXPIRED', 'PROFILE_NOT_LINKED'] });

    const history = await h.http.get('/certification-profiles/sched-1/history').set('Authorization', as(['support']));
    const types = (history.body as { events: { type: string }[] }).events.map((e) => e.type);
    expect(types).toEqual([
      'CertificationProfileCreated',
      'CertificationEarned',
      'RenewalWindowOpened',
      'RenewalEligibilityNotified',
      'CertificationExpired',
      // #29 (R83): the holder is told of the expiry once, recorded beside the holding.
      'HolderMessageSent',
    ]);
    expect(readdirSync(join(h.dataDir, 'messages')).filter((f) => f.endsWith('.eml'))).toHaveLength(1);
  });

  it('only the scheduler and admins may run it', async () => {
    expectProblem(await h.http.post('/admin/scheduler/run').set('Authorization', as(['support'])), 403, 'FORBIDDEN');
    expectProblem(await h.http.post('/admin/scheduler/run'), 401, 'UNAUTHORIZED');
  });
});

describe('two schedulers at once over one store', () => {
  it('R4: a notification sent while a renewal ends its window is still recorded, once, and its outbox row is sent', async () => {
    const r = await startApp({ clockStart: '2026-01-01T00:00:00Z' });
    try {
      await seedProfile(r, 'race-1', { linked: true, earn: [{ code: 'azure-developer-associate' }] });
      r.clock.set(new Date('2026-07-01T00:00:00Z'));
      const attempt = (passed: boolean) =>
        r.http
          .post('/certification-profiles/race-1/certifications/azure-developer-associate/renewal-attempts')
          .set('Authorization', `Bearer ${r.token(['assessment-system'])}`)
          .send({ passed, language: 'en' });
      // A failed attempt opens the window: its notification is now due.
      const failed = await attempt(false).expect(201);
      const runner = r.app.get(ProjectionRunner);
      expect(await runner.waitFor((failed.body as { position: number }).position, 60_000)).toBe(true);

      // The holder renews while the notification is on its way.
      const sent: string[] = [];
      const racing: MessageSender = {
        send: async (id) => {
          sent.push(id);
          await attempt(true).expect(201);
          return 'sent';
        },
        forget: () => Promise.resolve(),
      };
      const dispatcher = notificationDispatcher(r, racing);
      expect(await dispatcher.dispatchOnce()).toBe(1);
      expect(await dispatcher.dispatchOnce()).toBe(0);
      expect(sent).toHaveLength(1);

      const log = await r.store.readStream('holding-race-1.azure-developer-associate');
      expect(log.map((event) => event.type)).toEqual([
        'CertificationEarned',
        'RenewalWindowOpened',
        'AssessmentAttempted',
        'AssessmentAttempted',
        'CertificationRenewed',
        'RenewalEligibilityNotified',
      ]);
      const opened = log.find((event) => event.type === 'RenewalWindowOpened');
      const notified = log.find((event) => event.type === 'RenewalEligibilityNotified');
      expect(notified?.data['windowId']).toBe(opened?.data['windowId']);
      expect(await runner.waitFor(await r.store.headPosition(), 60_000)).toBe(true);
      const row = r.app
        .get<Database.Database>(READ_DB)
        .prepare('SELECT state FROM rm_notifications WHERE window_id = ?')
        .get(opened?.data['windowId'] as string);
      expect(row).toEqual({ state: 'sent' });
    } finally {
      await r.close();
    }
  });

  it('R3/R4/R9: each window opens once, each holding expires once, each notification is written once', async () => {
    const a = await startApp({ clockStart: '2026-01-01T00:00:00Z' });
    const b = await startApp({ clockStart: '2026-01-01T00:00:00Z', dataDir: a.dataDir });
    try {
      const profiles = 12;
      for (let i = 0; i < profiles; i += 1) {
        // One holding whose window is open at 2026-01-01 and one that expired before it.
        await seedProfile(a, `twin-${i}`, {
          displayName: `Twin ${i}`,
          earn: [
            { code: 'azure-administrator-associate', earnedAt: '2025-06-15T00:00:00Z' },
            { code: 'azure-developer-associate', earnedAt: '2024-11-01T00:00:00Z' },
          ],
        });
      }
      const schedulers = [a.app.get(Scheduler), b.app.get(Scheduler)];
      const runs = await Promise.all([...schedulers, ...schedulers].map((scheduler) => scheduler.runOnce()));
      const total = (key: 'windowsOpened' | 'expired' | 'notified') => runs.reduce((sum, r) => sum + r[key], 0);
      expect({ windowsOpened: total('windowsOpened'), expired: total('expired'), notified: total('notified') }).toEqual({
        windowsOpened: profiles,
        expired: profiles,
        notified: profiles,
      });

      const log = await a.store.readAll({ maxCount: 100_000 });
      const count = (type: string) => log.filter((e) => e.type === type).length;
      expect({
        opened: count('RenewalWindowOpened'),
        expired: count('CertificationExpired'),
        notified: count('RenewalEligibilityNotified'),
      }).toEqual({
        opened: profiles,
        expired: profiles,
        notified: profiles,
      });
      for (let i = 0; i < profiles; i += 1) {
        const stream = await a.store.readStream(`holding-twin-${i}.azure-administrator-associate`);
        expect(stream.map((e) => e.type)).toEqual(['CertificationEarned', 'RenewalWindowOpened', 'RenewalEligibilityNotified']);
      }
      expect(readdirSync(join(a.dataDir, 'notifications')).filter((f) => f.endsWith('.eml'))).toHaveLength(profiles);
    } finally {
      await b.close();
      await a.close();
    }
  });
});
