import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Scheduler } from '../../apps/worker/src/scheduler/scheduler';
import { expectProblem, Harness, startApp } from '../support/harness';

type Cert = { code: string; status: string; blockedBy: string[]; canAttemptNow: boolean; attempts: number; expiresAt: string | null };

/** Time, the scheduler and notifications (R3, R4, R9) through the API, with the manual clock moved, never slept on. */
describe('scheduler over HTTP', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApp({ clockStart: '2026-01-01T00:00:00Z' });
  });
  afterAll(async () => h.close());

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
    const mail = readFileSync(join(h.dataDir, 'notifications', files[0] as string), 'utf8');
    expect(mail).toContain('To: kj@example.com');
    expect(mail).toContain('Azure Developer Associate');

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
    ]);
  });

  it('only the scheduler and admins may run it', async () => {
    expectProblem(await h.http.post('/admin/scheduler/run').set('Authorization', as(['support'])), 403, 'FORBIDDEN');
    expectProblem(await h.http.post('/admin/scheduler/run'), 401, 'UNAUTHORIZED');
  });
});

describe('two schedulers at once over one store', () => {
  it('R3/R4/R9: each window opens once, each holding expires once, each notification is written once', async () => {
    const a = await startApp({ clockStart: '2026-01-01T00:00:00Z' });
    const b = await startApp({ clockStart: '2026-01-01T00:00:00Z', dataDir: a.dataDir });
    try {
      const exam = `Bearer ${a.token(['exam-system'])}`;
      const profiles = 12;
      for (let i = 0; i < profiles; i += 1) {
        await a.http
          .post('/certification-profiles')
          .set('Authorization', exam)
          .send({
            profileId: `twin-${i}`,
            accountId: `acc-twin-${i}`,
            accountType: 'personal',
            displayName: `Twin ${i}`,
            email: `t${i}@example.com`,
          })
          .expect(201);
        // One holding whose window is open at 2026-01-01 and one that expired before it.
        await a.http
          .post(`/certification-profiles/twin-${i}/certifications`)
          .set('Authorization', exam)
          .send({ certificationCode: 'azure-administrator-associate', earnedAt: '2025-06-15T00:00:00Z' })
          .expect(201);
        await a.http
          .post(`/certification-profiles/twin-${i}/certifications`)
          .set('Authorization', exam)
          .send({ certificationCode: 'azure-developer-associate', earnedAt: '2024-11-01T00:00:00Z' })
          .expect(201);
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
