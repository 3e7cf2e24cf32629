import { EventStore } from '@recert/eventstore';
import {
  Catalog,
  evolveHolding,
  evolveLearnProfile,
  evolveProfile,
  initialHoldingState,
  initialLearnProfileState,
  initialProfileState,
  LearnProfileEvent,
  ProfileEvent,
} from '@recert/domain';
import { CATALOG, MergeCompleter, MergeProfilesCommand, MergeProfilesHandler } from '@recert/renewals';
import { commandBusOver } from '../support/command-bus';
import { Harness, linkAsHolder, startApp } from '../support/harness';

/** A store that dies after `appends` appends: every later append fails as a killed process's would never happen. */
function crashingAfter(store: EventStore, appends: number): EventStore {
  let done = 0;
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'append') {
        return (...args: Parameters<EventStore['append']>) => {
          if (done >= appends) return Promise.reject(new Error('simulated crash'));
          done += 1;
          return target.append(...args);
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const fold = async <S, E>(store: EventStore, stream: string, evolve: (s: S, e: E) => S, initial: S): Promise<S> =>
  (await store.readStream(stream)).reduce((state, event) => evolve(state, event as unknown as E), initial);

/**
 * #16.3 R12: a merge is a process recorded before its steps (ProfileMergeStarted) and completed after a crash
 * (CertificationProfilesMerged), whatever step the crash cut it at.
 */
describe('#16.3 R12: merge as a process survives a crash at every step', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApp({ clockStart: '2026-06-01T00:00:00Z' });
  }, 60_000);
  afterAll(async () => h.close());

  /** Two profiles of one personal account; the source linked and holding two certifications, the target one. */
  const seedPair = async (n: number): Promise<{ source: string; target: string; accountId: string }> => {
    const source = `ms-${n}`;
    const target = `mt-${n}`;
    const accountId = `acc-m-${n}`;
    const exam = `Bearer ${h.token(['exam-system'])}`;
    const create = (profileId: string) =>
      h.http
        .post('/certification-profiles')
        .set('Authorization', exam)
        .send({ profileId, accountId, accountType: 'personal', displayName: profileId, email: `${profileId}@example.com` })
        .expect(201);
    const earn = (profileId: string, code: string) =>
      h.http
        .post(`/certification-profiles/${profileId}/certifications`)
        .set('Authorization', exam)
        .send({ certificationCode: code })
        .expect(201);
    await create(source);
    await linkAsHolder(h, source, `learn-${source}`, { accountId }).expect(200);
    await earn(source, 'azure-fundamentals');
    await earn(source, 'azure-administrator-associate');
    await create(target);
    await earn(target, 'azure-developer-associate');
    return { source, target, accountId };
  };

  const handlerOver = (store: EventStore): MergeProfilesHandler => {
    const { bus, profiles, holdings } = commandBusOver(store, h.clock, h);
    return new MergeProfilesHandler(bus, holdings, profiles, h.app.get<Catalog>(CATALOG));
  };
  const meta = { commandId: 'merge-request', correlationId: 'c', causationId: 'c', actor: 'support-sam' };

  // Started (1), source closed (2), account (3), two holdings out and in (4-7), link transferred (8-9), recorded (10).
  const STEPS = 10;

  it.each(Array.from({ length: STEPS }, (_, k) => [k]))(
    '#16.3 R12: crashed after %i of its appends, the completer finishes it: every step once, complete',
    async (k) => {
      const { source, target } = await seedPair(k);
      const before = await h.store.headPosition();
      await expect(
        handlerOver(crashingAfter(h.store, k)).execute(
          new MergeProfilesCommand({ targetProfileId: target, sourceProfileId: source }, meta),
        ),
      ).rejects.toThrow('simulated crash');
      expect((await h.store.headPosition()) - before).toBe(k);

      const completed = await h.app.get(MergeCompleter).completeStarted();
      expect(completed).toBe(k === 0 ? 0 : 1);
      if (k === 0) return; // Nothing was recorded: no merge started, both profiles as they were.

      const targetState = await fold<ReturnType<typeof evolveProfile>, ProfileEvent>(
        h.store,
        `profile-${target}`,
        evolveProfile,
        initialProfileState,
      );
      expect(targetState).toMatchObject({ status: 'active', linkedLearnProfileId: `learn-${source}`, pendingMerges: [] });
      const sourceState = await fold<ReturnType<typeof evolveProfile>, ProfileEvent>(
        h.store,
        `profile-${source}`,
        evolveProfile,
        initialProfileState,
      );
      expect(sourceState).toMatchObject({ status: 'closed', mergedInto: target });
      for (const code of ['azure-fundamentals', 'azure-administrator-associate']) {
        expect(await fold(h.store, `holding-${source}.${code}`, evolveHolding, initialHoldingState)).toMatchObject({
          status: 'merged-out',
        });
        expect(await fold(h.store, `holding-${target}.${code}`, evolveHolding, initialHoldingState)).toMatchObject({ status: 'held' });
      }
      expect(
        await fold<ReturnType<typeof evolveLearnProfile>, LearnProfileEvent>(
          h.store,
          `learnprofile-learn-${source}`,
          evolveLearnProfile,
          initialLearnProfileState,
        ),
      ).toEqual({ linkedTo: target });
      // Each step exactly once: the same events an uninterrupted merge stores.
      const types = (await h.store.readAll({ after: before, maxCount: 100 })).map((event) => event.type).sort();
      expect(types).toEqual(
        [
          'ProfileMergeStarted',
          'CertificationProfileClosed',
          'AccountProfileClosed',
          'HoldingMergedOut',
          'HoldingMergedIn',
          'HoldingMergedOut',
          'HoldingMergedIn',
          'LearnProfileLinkTransferred',
          'ProfilesLinked',
          'CertificationProfilesMerged',
        ].sort(),
      );
      // Completed: asking again stores nothing, and the completer finds nothing left.
      const head = await h.store.headPosition();
      await handlerOver(h.store).execute(new MergeProfilesCommand({ targetProfileId: target, sourceProfileId: source }, meta));
      expect(await h.app.get(MergeCompleter).completeStarted()).toBe(0);
      expect(await h.store.headPosition()).toBe(head);
    },
    60_000,
  );

  it('#16.3 R12: a merge torn by a crash is completed by a restarted process on start, and by a scheduler run', async () => {
    const { source, target } = await seedPair(100);
    await expect(
      handlerOver(crashingAfter(h.store, 4)).execute(new MergeProfilesCommand({ targetProfileId: target, sourceProfileId: source }, meta)),
    ).rejects.toThrow('simulated crash');
    const restarted = await startApp({ clockStart: '2026-06-01T00:00:00Z', dataDir: h.dataDir });
    try {
      const deadline = Date.now() + 30_000;
      let types: string[] = [];
      while (Date.now() < deadline) {
        types = (await restarted.store.readStream(`profile-${target}`)).map((event) => event.type);
        if (types.includes('CertificationProfilesMerged')) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(types).toContain('CertificationProfilesMerged');
    } finally {
      await restarted.close();
    }

    const other = await seedPair(101);
    await expect(
      handlerOver(crashingAfter(h.store, 2)).execute(
        new MergeProfilesCommand({ targetProfileId: other.target, sourceProfileId: other.source }, meta),
      ),
    ).rejects.toThrow('simulated crash');
    const run = await h.http
      .post('/admin/scheduler/run')
      .set('Authorization', `Bearer ${h.token(['scheduler'])}`)
      .expect(200);
    expect(run.body).toMatchObject({ mergesCompleted: 1 });
    expect((await h.store.readStream(`profile-${other.target}`)).map((event) => event.type)).toContain('CertificationProfilesMerged');
  }, 90_000);

  it("#16.4 R11a: merging a profile linked to account A's learn profile into a profile of account B releases the link", async () => {
    const exam = `Bearer ${h.token(['exam-system'])}`;
    for (const [profileId, accountId] of [
      ['r11a-src', 'acc-A'],
      ['r11a-tgt', 'acc-B'],
    ] as const) {
      await h.http
        .post('/certification-profiles')
        .set('Authorization', exam)
        .send({ profileId, accountId, accountType: 'personal', displayName: profileId, email: `${profileId}@example.com` })
        .expect(201);
    }
    await linkAsHolder(h, 'r11a-src', 'learn-A', { accountId: 'acc-A' }).expect(200);
    const merged = await h.http
      .post('/certification-profiles/r11a-tgt/merges')
      .set('Authorization', `Bearer ${h.token(['support'])}`)
      .send({ sourceProfileId: 'r11a-src' })
      .expect(200);
    const events = (merged.body as { events: { type: string; data: Record<string, unknown> }[] }).events;
    expect(events.find((e) => e.type === 'LearnProfileLinkReleased')?.data).toMatchObject({
      learnProfileId: 'learn-A',
      reason: expect.stringMatching(/^R11a/),
    });
    expect(events.map((e) => e.type)).not.toContain('ProfilesLinked');
    const dashboard = await h.http
      .get(`/certification-profiles/r11a-tgt/dashboard?consistentWith=${(merged.body as { position: number }).position}`)
      .set('Authorization', `Bearer ${h.token(['support'])}`);
    expect(dashboard.body).toMatchObject({ profile: { linkedLearnProfileId: null } });
    expect(
      await fold<ReturnType<typeof evolveLearnProfile>, LearnProfileEvent>(
        h.store,
        'learnprofile-learn-A',
        evolveLearnProfile,
        initialLearnProfileState,
      ),
    ).toEqual({ linkedTo: null });
  });
});
