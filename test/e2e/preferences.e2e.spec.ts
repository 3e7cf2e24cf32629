import { expectNothingStored, expectProblem, Harness, seedProfile, startApp } from '../support/harness';

type Preferences = { profileId: string; language: string | null; timeZone: string | null; reminders: string; position: number };
type HistoryEvent = { type: string; data: Record<string, unknown>; metadata: { actor: string; schemaVersion?: number } };

/** #15.3 (and #14.4's reminders field): the holder's preferences through the API, as events on the profile stream. */
describe('#15.3 holder preferences', () => {
  let h: Harness;
  const holder = (profileId = 'pref-1'): string => `Bearer ${h.token(['candidate'], { sub: `user-${profileId}`, profileId })}`;
  const put = (body: unknown, auth = holder(), profileId = 'pref-1') =>
    h.http
      .put(`/certification-profiles/${profileId}/preferences`)
      .set('Authorization', auth)
      .send(body as object);
  const preferencesChanged = async (): Promise<HistoryEvent[]> => {
    const res = await h.http.get('/certification-profiles/pref-1/history').set('Authorization', `Bearer ${h.token(['admin'])}`);
    expect(res.status).toBe(200);
    return (res.body as { events: HistoryEvent[] }).events.filter((event) => event.type === 'ProfilePreferencesChanged');
  };

  beforeAll(async () => {
    h = await startApp({ clockStart: '2026-02-10T00:00:00Z' });
    await seedProfile(h, 'pref-1');
    await seedProfile(h, 'pref-2');
  });

  afterAll(async () => {
    await h?.close();
  }, 60_000);

  it('#15.3: before any choice the language and zone are null and every reminder is sent', async () => {
    const res = await h.http.get('/certification-profiles/pref-1/preferences').set('Authorization', holder());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ profileId: 'pref-1', language: null, timeZone: null, reminders: 'all', position: 0 });
  });

  it('#15.3: the holder sets them; language and zone are compared without case and stored canonically, v1, actor recorded', async () => {
    const res = await put({ language: 'ZH-hant', timeZone: 'asia/taipei', reminders: 'last-only' });
    expect(res.status).toBe(200);
    const answer = res.body as Preferences;
    expect(answer).toMatchObject({ profileId: 'pref-1', language: 'zh-Hant', timeZone: 'Asia/Taipei', reminders: 'last-only' });
    expect(answer.position).toBeGreaterThan(0);
    const read = await h.http.get('/certification-profiles/pref-1/preferences').set('Authorization', holder());
    expect(read.body).toMatchObject({ language: 'zh-Hant', timeZone: 'Asia/Taipei', reminders: 'last-only' });
    const events = await preferencesChanged();
    expect(events).toHaveLength(1);
    expect(events[0]?.data).toMatchObject({ profileId: 'pref-1', language: 'zh-Hant', timeZone: 'Asia/Taipei', reminders: 'last-only' });
    expect(events[0]?.metadata.actor).toBe('user-pref-1');
    expect(events[0]?.metadata.schemaVersion).toBe(1);
  });

  it('#15.3: the same values again record nothing', async () => {
    const res = await put({ language: 'zh-hant', timeZone: 'Asia/Taipei', reminders: 'last-only' });
    expect(res.status).toBe(200);
    expect((res.body as Preferences).position).toBe(0);
    expect(await preferencesChanged()).toHaveLength(1);
  });

  it('#15.3: support and admins may set them for the holder (the actor says who); admins read them', async () => {
    const bySupport = await put(
      { language: 'ja', timeZone: 'Asia/Tokyo', reminders: 'all' },
      `Bearer ${h.token(['support'], { sub: 'agent-7' })}`,
    );
    expect(bySupport.status).toBe(200);
    expect((await preferencesChanged()).at(-1)?.metadata.actor).toBe('agent-7');
    const byAdmin = await put(
      { language: 'en', timeZone: 'Europe/London', reminders: 'all' },
      `Bearer ${h.token(['admin'], { sub: 'boss' })}`,
    );
    expect(byAdmin.status).toBe(200);
    const read = await h.http.get('/certification-profiles/pref-1/preferences').set('Authorization', `Bearer ${h.token(['admin'])}`);
    expect(read.body).toMatchObject({ language: 'en', timeZone: 'Europe/London', reminders: 'all' });
  });

  it('#15.3: another holder, or a role not listed, is refused and nothing is stored', async () => {
    await expectNothingStored(h, async () => {
      expectProblem(await put({ language: 'en', timeZone: 'UTC', reminders: 'all' }, holder('pref-2')), 403, 'FORBIDDEN');
      expectProblem(
        await h.http.get('/certification-profiles/pref-1/preferences').set('Authorization', holder('pref-2')),
        403,
        'FORBIDDEN',
      );
      expectProblem(
        await put({ language: 'en', timeZone: 'UTC', reminders: 'all' }, `Bearer ${h.token(['exam-system'])}`),
        403,
        'FORBIDDEN',
      );
      expectProblem(await h.http.put('/certification-profiles/pref-1/preferences').send({}), 401, 'UNAUTHORIZED');
    });
  });

  it('#15.3: bad input is a 400 problem that stores nothing; an unknown profile a 404', async () => {
    await expectNothingStored(h, async () => {
      for (const body of [
        { language: 'fr', timeZone: 'Europe/Paris', reminders: 'all' },
        { language: 'en', timeZone: 'Mars/Olympus_Mons', reminders: 'all' },
        { language: 'en', timeZone: 'Europe/London', reminders: 'weekly' },
        { language: 'en', timeZone: 'x'.repeat(65), reminders: 'all' },
        { language: 'en<script>', timeZone: 'UTC', reminders: 'all' },
        { language: 'en', reminders: 'all' },
        { language: 42, timeZone: 'UTC', reminders: 'all' },
      ]) {
        expectProblem(await put(body), 400, 'VALIDATION_FAILED');
      }
      expectProblem(
        await put({ language: 'en', timeZone: 'UTC', reminders: 'all' }, `Bearer ${h.token(['support'])}`, 'nobody'),
        404,
        'PROFILE_NOT_FOUND',
      );
    });
  });
});
