import { expectNothingStored, expectProblem, Harness, linkAsHolder, seedProfile, startApp } from '../support/harness';

type Answer = { events: { type: string; data: Record<string, unknown>; metadata: Record<string, unknown> }[]; position: number };

/**
 * #16.2: linking proves ownership (API.md, Authentication). A candidate's token carries the signed-in learning
 * account; support links on a holder's behalf only with a reason; support releases a wrongly linked learn profile.
 */
describe('#16.2 R11: who may link a learn profile', () => {
  let h: Harness;
  const support = (): string => `Bearer ${h.token(['support'], { sub: 'support-sam' })}`;
  const linkWith = (profileId: string, auth: string, body: Record<string, unknown>) =>
    h.http.post(`/certification-profiles/${profileId}/learn-profile-link`).set('Authorization', auth).send(body);
  const candidate = (profileId: string, claims: { learnProfileId?: string; accountId?: string; accountType?: 'personal' | 'work' }) =>
    `Bearer ${h.token(['candidate'], { profileId, ...claims })}`;

  beforeAll(async () => {
    h = await startApp({ clockStart: '2026-06-01T00:00:00Z' });
    for (const id of ['own-a', 'own-b', 'own-c', 'own-d', 'own-e', 'own-f']) await seedProfile(h, id);
  });
  afterAll(async () => h.close());

  it("#16.2 R11: a candidate links the learn profile its token names; the account checked is the token's", async () => {
    const res = await linkAsHolder(h, 'own-a', 'learn-own-a');
    expect(res.status).toBe(200);
    expect((res.body as Answer).events.map((e) => e.type)).toEqual(['LearnProfileLinkReserved', 'ProfilesLinked']);
    expect((res.body as Answer).events[1]?.data).toMatchObject({ accountId: 'acc-own-a', learnProfileId: 'learn-own-a' });
  });

  it("#16.2 R11: another holder claiming someone's learn profile is refused 403 FORBIDDEN, storing nothing; the owner links it", async () => {
    await expectNothingStored(h, async () => {
      // Mallory (own-b) names own-c's learn profile and own-c's account in the body: her token says otherwise.
      const claim = await linkWith(
        'own-b',
        candidate('own-b', { learnProfileId: 'learn-own-b', accountId: 'acc-own-b', accountType: 'personal' }),
        {
          learnProfileId: 'learn-own-c',
          accountId: 'acc-own-b',
          accountType: 'personal',
        },
      );
      expectProblem(claim, 403, 'FORBIDDEN');
      // A token without the learning-account claims links nothing.
      expectProblem(await linkWith('own-b', candidate('own-b', {}), { learnProfileId: 'learn-own-c' }), 403, 'FORBIDDEN');
    });
    expect((await linkAsHolder(h, 'own-c', 'learn-own-c')).status).toBe(200);
  });

  it("#16.2 R11 ACCOUNT_MISMATCH: the token's account is checked, never the body's", async () => {
    await expectNothingStored(h, async () => {
      const auth = candidate('own-d', { learnProfileId: 'learn-x', accountId: 'acc-someone-else', accountType: 'personal' });
      expectProblem(
        await linkWith('own-d', auth, { learnProfileId: 'learn-x', accountId: 'acc-own-d', accountType: 'personal' }),
        409,
        'ACCOUNT_MISMATCH',
      );
      const work = candidate('own-d', { learnProfileId: 'learn-x', accountId: 'acc-own-d', accountType: 'work' });
      expectProblem(await linkWith('own-d', work, { learnProfileId: 'learn-x', accountType: 'personal' }), 409, 'ACCOUNT_MISMATCH');
    });
  });

  it("#16.2 R11: support links on a holder's behalf only with a reason and the account, and the reason is stored", async () => {
    await expectNothingStored(h, async () => {
      const noReason = await linkWith('own-e', support(), {
        learnProfileId: 'learn-own-e',
        accountId: 'acc-own-e',
        accountType: 'personal',
      });
      expectProblem(noReason, 400, 'VALIDATION_FAILED');
      expect((noReason.body as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(['reason']);
      const noAccount = await linkWith('own-e', support(), { learnProfileId: 'learn-own-e', reason: 'ticket 7' });
      expectProblem(noAccount, 400, 'VALIDATION_FAILED');
      expect((noAccount.body as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(['accountId', 'accountType']);
    });
    const res = await linkWith('own-e', support(), {
      learnProfileId: 'learn-own-e',
      accountId: 'acc-own-e',
      accountType: 'personal',
      reason: 'ticket 7: holder verified by phone',
    });
    expect(res.status).toBe(200);
    const linked = (res.body as Answer).events.find((e) => e.type === 'ProfilesLinked');
    expect(linked).toMatchObject({ data: { supportReason: 'ticket 7: holder verified by phone' }, metadata: { actor: 'support-sam' } });
  });

  it('#16.2 R11: support releases a wrongly linked learn profile with a reason, audited; the real owner then links it', async () => {
    // Support linked own-f to a learn profile that is in fact own-b's.
    await linkWith('own-f', support(), {
      learnProfileId: 'learn-own-b',
      accountId: 'acc-own-f',
      accountType: 'personal',
      reason: 'ticket 8',
    }).expect(200);
    expectProblem(await linkAsHolder(h, 'own-b', 'learn-own-b'), 409, 'LEARN_PROFILE_ALREADY_LINKED');

    const release = (auth: string, body: Record<string, unknown>) =>
      h.http.post('/certification-profiles/own-f/learn-profile-link/release').set('Authorization', auth).send(body);
    await expectNothingStored(h, async () => {
      expectProblem(await release(candidate('own-f', {}), { reason: 'mine' }), 403, 'FORBIDDEN');
      expectProblem(await release(support(), {}), 400, 'VALIDATION_FAILED');
    });
    const released = await release(support(), { reason: 'ticket 9: learn profile belongs to own-b' });
    expect(released.status).toBe(200);
    const events = (released.body as Answer).events;
    expect(events).toMatchObject([
      {
        type: 'LearnProfileLinkReleased',
        data: { learnProfileId: 'learn-own-b', profileId: 'own-f', reason: 'ticket 9: learn profile belongs to own-b' },
      },
      {
        type: 'LearnProfileUnlinked',
        data: { learnProfileId: 'learn-own-b', profileId: 'own-f', reason: 'ticket 9: learn profile belongs to own-b' },
      },
    ]);
    for (const event of events) expect(event.metadata).toMatchObject({ actor: 'support-sam' });
    await expectNothingStored(h, async () => {
      expectProblem(await release(support(), { reason: 'again' }), 409, 'PROFILE_NOT_LINKED');
    });

    const dashboard = await h.http
      .get(`/certification-profiles/own-f/dashboard?consistentWith=${(released.body as Answer).position}`)
      .set('Authorization', support());
    expect(dashboard.body).toMatchObject({ profile: { linkedLearnProfileId: null } });
    expect((await linkAsHolder(h, 'own-b', 'learn-own-b')).status).toBe(200);
  });
});
