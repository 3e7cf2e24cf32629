import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { reminderLeaseName } from '@recert/jobs';
import { deterministicId, LEASE_STORE, LeaseStore } from '@recert/kernel';
import { holdingIdOf } from '@recert/domain';
import { Harness, seedProfile } from '../support/harness';
import { startWithReminderPolicies } from '../support/reminder-policies';

/**
 * R44 on the embedded shared state (SQLite): a reminder whose lease another process holds (by reminder id) is not sent
 * here; once that process hands its leases back (releaseOwner), it is sent, and recorded, once.
 */
describe('reminders claimed through the shared LeaseStore (R44)', () => {
  let h: Harness;
  const code = 'azure-developer-associate';
  beforeAll(async () => {
    h = await startWithReminderPolicies('2026-01-02T00:00:00Z');
    await seedProfile(h, 'lease-1', { displayName: 'Ada', earn: [{ code }] });
  }, 60_000);
  afterAll(async () => h.close(), 60_000);

  const run = async (): Promise<number> => {
    const res = await h.http.post('/admin/scheduler/run').set('Authorization', `Bearer ${h.token(['admin'])}`);
    expect(res.status).toBe(200);
    return (res.body as { reminded: number }).reminded;
  };
  const mails = (): string[] => {
    const dir = join(h.dataDir, 'reminders');
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.eml')) : [];
  };

  it('R44: held by another owner, the due reminder waits; released by owner, it is sent once and recorded once', async () => {
    const leases = h.app.get<LeaseStore>(LEASE_STORE);
    const holdingId = holdingIdOf('lease-1', code);
    // Expires 2027-01-02; its window (and the window-opens reminder) opens 2026-07-02.
    const reminderId = deterministicId('reminder', holdingId, '2027-01-02T00:00:00.000Z', 'window-opens');
    expect(await leases.acquire([reminderLeaseName(reminderId)], 'another-worker', 3600_000)).toHaveLength(1);
    h.clock.set(new Date('2026-07-02T00:00:00Z'));
    expect(await run()).toBe(0);
    expect(mails()).toEqual([]);
    expect(await leases.releaseOwner('another-worker')).toBe(1);
    expect(await run()).toBe(1);
    expect(await run()).toBe(0);
    expect(mails()).toEqual([`${reminderId}.eml`]);
    const history = await h.http.get('/certification-profiles/lease-1/history').set('Authorization', `Bearer ${h.token(['admin'])}`);
    const sent = (history.body as { events: { type: string }[] }).events.filter((e) => e.type === 'RenewalReminderSent');
    expect(sent).toHaveLength(1);
  }, 60_000);
});
