import { ProjectionRunner } from '@recert/projections';
import type { MessageSender, NotificationDispatcher } from '@recert/jobs';
import { notificationDispatcher } from '../support/dispatchers';
import { Harness, seedProfile, startApp } from '../support/harness';

/**
 * #24.4: a manual scheduler run beside the timer's, in one process. Before, both leased the outbox as the process's
 * one owner, so the second run re-took the first one's leases and sent the same notification again.
 */
describe('notification leases per run and per send (#24.4)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApp({ clockStart: '2026-01-01T00:00:00Z' });
  }, 60_000);
  afterAll(async () => h?.close(), 60_000);

  it('R56: a second run started while the first is sending a notification does not send it again; it is sent and recorded once', async () => {
    await seedProfile(h, 'twice-1', { linked: true, earn: [{ code: 'azure-developer-associate' }] });
    h.clock.set(new Date('2026-07-01T00:00:00Z'));
    // A failed attempt opens the window: its notification is now due.
    const failed = await h.http
      .post('/certification-profiles/twice-1/certifications/azure-developer-associate/renewal-attempts')
      .set('Authorization', `Bearer ${h.token(['assessment-system'])}`)
      .send({ passed: false, language: 'en' })
      .expect(201);
    expect(await h.app.get(ProjectionRunner).waitFor((failed.body as { position: number }).position, 60_000)).toBe(true);

    const sent: string[] = [];
    let second: Promise<number> | undefined;
    // The first send starts the other run (the admin's, beside the timer's) and lets it finish before it returns.
    const sender: MessageSender = {
      forget: () => Promise.resolve(),
      send: async (id) => {
        sent.push(id);
        if (!second) {
          second = dispatcher.dispatchOnce();
          await second;
        }
        return 'sent';
      },
    };
    const dispatcher: NotificationDispatcher = notificationDispatcher(h, sender);
    expect(await dispatcher.dispatchOnce()).toBe(1);
    expect(await second).toBe(0);
    expect(sent).toHaveLength(1);
    const log = await h.store.readStream('holding-twice-1.azure-developer-associate');
    expect(log.filter((event) => event.type === 'RenewalEligibilityNotified')).toHaveLength(1);
  }, 60_000);
});
