import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@recert/eventstore';
import { HoldingsModel, READ_DB } from '@recert/projections';
import { loadCatalog, loadPolicyBook, PolicyRegistry } from '@recert/renewals';
import { seedPopulation } from '../bench/seed';
import { expectProblem, Harness, linkAsHolder, startApp, seedProfile } from '../support/harness';
import { eventually } from '../support/wait';

const root = join(__dirname, '..', '..');
const shipped = JSON.parse(readFileSync(join(root, 'config', 'policy.json'), 'utf8')) as Record<string, unknown>[];
const base = shipped[1] as Record<string, unknown>;

describe('policy adoption', () => {
  let dataDir: string;
  let h: Harness;
  const bearer = (roles: Parameters<Harness['token']>[0], profileId?: string): string =>
    `Bearer ${h.token(roles, profileId ? { profileId } : {})}`;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'recert-adopt-'));
    // A population for the rebuild to chew on, laid out around 2026-06-01.
    await seedPopulation({
      dataDir,
      targetEvents: 30_000,
      catalog: loadCatalog(join(root, 'config', 'catalog.json')),
      policies: loadPolicyBook(join(root, 'config', 'policy.json')),
      now: new Date('2026-06-01T00:00:00Z'),
    });
    h = await startApp({ clockStart: '2026-06-01T00:00:00Z', dataDir });
    for (const profileId of ['ad-1', 'ad-2']) {
      // Expires 2026-09-01, window open since 2026-03-01.
      await seedProfile(h, profileId, { linked: true, earn: [{ code: 'azure-developer-associate', earnedAt: '2025-09-01T00:00:00Z' }] });
    }
    // Expires 2027-01-01: its window opens 2026-07-01 under the shipped policy, 2026-10-01 under the adopted one.
    await h.http
      .post('/certification-profiles/ad-1/certifications')
      .set('Authorization', bearer(['exam-system']))
      .send({ certificationCode: 'azure-administrator-associate', earnedAt: '2026-01-01T00:00:00Z' })
      .expect(201);
    const head = await h.store.headPosition();
    await h.http
      .get(`/certification-profiles/ad-1/dashboard?consistentWith=${head}`)
      .set('Authorization', bearer(['support']))
      .expect(200);
  }, 180_000); // seeds 30,000 events and rebuilds them at start: minutes on a loaded 2-core machine
  afterAll(async () => {
    await h.close();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('R14: refuses a retroactive adoption, a known version, a malformed policy, and non-admins', async () => {
    const post = (body: object, roles: Parameters<Harness['token']>[0] = ['admin']) =>
      h.http.post('/admin/policies').set('Authorization', bearer(roles)).send(body);
    const before = await h.store.headPosition();
    expectProblem(await post({ policy: { ...base, version: 'past' }, effectiveFrom: '2026-05-01T00:00:00Z' }), 400, 'VALIDATION_FAILED');
    expectProblem(await post({ policy: { ...base }, effectiveFrom: '2026-07-01T00:00:00Z' }), 400, 'VALIDATION_FAILED');
    expectProblem(
      await post({ policy: { ...base, version: 'bad', extension: 'one year' }, effectiveFrom: '2026-07-01T00:00:00Z' }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(await post({ policy: { ...base, version: 'x' }, effectiveFrom: '2026-07-01T00:00:00Z' }, ['support']), 403, 'FORBIDDEN');
    expect(await h.store.headPosition()).toBe(before);
  });

  it('R5/R14: decisions from effectiveFrom use the adopted policy; the read model is rebuilt beside the live one and swapped once while every query answers', async () => {
    const model = h.app.get(HoldingsModel);
    const servingBefore = model.tables().generation;

    // Adopt: windows open 3 months before expiry and renewals add 2 years, from 2026-07-01.
    const adopted = { ...base, version: '2026-07-01', window: { beforeExpiry: 'P3M' }, extension: 'P2Y' };
    let adoptionDone = false;
    const adoption = h.http
      .post('/admin/policies')
      .set('Authorization', bearer(['admin']))
      .send({ policy: adopted, effectiveFrom: '2026-07-01T00:00:00Z' })
      .then((res) => {
        adoptionDone = true;
        return res;
      });
    // Dashboard queries keep coming while the new generation is built, until it is swapped in (a condition, not a
    // count of queries: on a loaded machine the rebuild may outlast any fixed number of them).
    const statuses: number[] = [];
    const deadline = Date.now() + 150_000;
    while ((!adoptionDone || model.swaps === 0) && Date.now() < deadline) {
      const res = await h.http.get('/certification-profiles/bench-7/dashboard').set('Authorization', bearer(['support']));
      statuses.push(res.status);
    }
    const res = await adoption;
    expect(res.status).toBe(201);
    expect((res.body as { events: { type: string; stream: string }[] }).events).toMatchObject([
      { type: 'PolicyAdopted', stream: 'policy-adoptions' },
    ]);
    expect(model.swaps).toBe(1);
    expect(model.tables().generation).not.toBe(servingBefore);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 200)).toBe(true);
    // The old generation's tables are gone; the new one derived windows under the adopted policy.
    const db = h.app.get<Database.Database>(READ_DB);
    const oldTable = (): unknown =>
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?").get(`rm_holdings_${servingBefore}`);
    // The old generation is dropped just after the swap, not with it: wait for that (a condition, bounded).
    const dropDeadline = Date.now() + 30_000;
    while (oldTable() !== undefined && Date.now() < dropDeadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(oldTable()).toBeUndefined();
    const windowOf = (holdingId: string): unknown =>
      db.prepare(`SELECT window_opens_at FROM ${model.tables().holdings} WHERE holding_id = ?`).get(holdingId);
    // Opened in March under the shipped policy: an adoption never moves a window that already opened.
    expect(windowOf('ad-1.azure-developer-associate')).toEqual({ window_opens_at: '2026-03-01T00:00:00.000Z' });
    // Opens after effectiveFrom: three months before its 2027-01-01 expiry, as the adopted policy says.
    expect(windowOf('ad-1.azure-administrator-associate')).toEqual({ window_opens_at: '2026-10-01T00:00:00.000Z' });
    const dash = await h.http.get('/certification-profiles/ad-1/dashboard').set('Authorization', bearer(['support']));
    expect(
      (dash.body as { certifications: { code: string; renewalWindowOpensAt: string }[] }).certifications.find(
        (c) => c.code === 'azure-administrator-associate',
      ),
    ).toMatchObject({
      renewalWindowOpensAt: '2026-10-01T00:00:00.000Z',
    });

    // Before effectiveFrom the shipped policy decides (+1 year); from it, the adopted one (+2 years).
    const attempt = (profileId: string) =>
      h.http
        .post(`/certification-profiles/${profileId}/certifications/azure-developer-associate/renewal-attempts`)
        .set('Authorization', bearer(['assessment-system']))
        .send({ passed: true, language: 'en' });
    h.clock.set(new Date('2026-06-30T23:59:59Z'));
    const before = await attempt('ad-1');
    expect(before.body).toMatchObject({ renewed: true, expiresAt: '2027-09-01T00:00:00.000Z' });
    h.clock.set(new Date('2026-07-01T00:00:00Z'));
    const after = await attempt('ad-2');
    expect(after.body).toMatchObject({ renewed: true, expiresAt: '2028-09-01T00:00:00.000Z' });
    const renewed = (after.body as { events: { type: string; metadata: { policyVersion?: string } }[] }).events.find(
      (e) => e.type === 'CertificationRenewed',
    );
    expect(renewed?.metadata.policyVersion).toBe('2026-07-01');
    // An adoption never rewrites history: the first renewal still says which policy decided it.
    const first = (before.body as { events: { type: string; metadata: { policyVersion?: string } }[] }).events.find(
      (e) => e.type === 'CertificationRenewed',
    );
    expect(first?.metadata.policyVersion).toBe('2021-06-30');
  }, 180_000);

  it('R14: a restarted process reads the adopted policy from the log and serves the same generation without a rebuild', async () => {
    const generation = h.app.get(HoldingsModel).tables().generation;
    await h.close();
    h = await startApp({ clockStart: '2026-07-01T00:00:00Z', dataDir });
    expect(h.app.get(PolicyRegistry).book().byVersion('2026-07-01')).toMatchObject({ extension: 'P2Y' });
    expect(h.app.get(HoldingsModel).tables().generation).toBe(generation);
    expect(h.app.get(HoldingsModel).swaps).toBe(0);
  }, 120_000);
});

describe('#16.7 policy bounds and withdrawal through HTTP', () => {
  let dataDir: string;
  let h: Harness;
  const admin = (): string => `Bearer ${h.token(['admin'])}`;
  const adopt = (policy: object, effectiveFrom: string) =>
    h.http.post('/admin/policies').set('Authorization', admin()).send({ policy, effectiveFrom });
  const withdraw = (version: string, body: object = { reason: 'adopted by mistake' }, token = admin()) =>
    h.http
      .post(`/admin/policies/${encodeURIComponent(version)}/withdrawal`)
      .set('Authorization', token)
      .send(body);
  const windowOpensAt = async (): Promise<string | undefined> => {
    const dash = await h.http
      .get(`/certification-profiles/pw-1/dashboard?consistentWith=${await h.store.headPosition()}`)
      .set('Authorization', `Bearer ${h.token(['support'])}`);
    return (dash.body as { certifications: { code: string; renewalWindowOpensAt?: string }[] }).certifications.find(
      (c) => c.code === 'azure-administrator-associate',
    )?.renewalWindowOpensAt;
  };
  const swapsReach = (n: number) =>
    eventually(`holdings swapped ${n} times`, () => (h.app.get(HoldingsModel).swaps >= n ? true : undefined));

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'recert-withdraw-'));
    h = await startApp({ clockStart: '2026-06-01T00:00:00Z', dataDir });
    // Expires 2027-01-01: its window opens 2026-07-01 under the shipped P6M, 2026-10-01 under a P3M policy.
    await seedProfile(h, 'pw-1', { earn: [{ code: 'azure-administrator-associate', earnedAt: '2026-01-01T00:00:00Z' }] });
  }, 60_000);
  afterAll(async () => {
    await h.close();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('#16.7 R1/R14a: an unbounded duration (P999999999Y, the finding), associate null, or a far effectiveFrom is a 422 storing nothing', async () => {
    const before = await h.store.headPosition();
    const validity = base['validity'] as Record<string, unknown>;
    expectProblem(
      await adopt({ ...base, version: 'huge', validity: { ...validity, associate: 'P999999999Y' } }, '2026-07-01T00:00:00Z'),
      422,
      'POLICY_OUT_OF_BOUNDS',
    );
    expectProblem(
      await adopt({ ...base, version: 'never', validity: { ...validity, associate: null } }, '2026-07-01T00:00:00Z'),
      422,
      'POLICY_CONTRADICTS_R1',
    );
    expectProblem(
      await adopt({ ...base, version: 'slow', retakes: { immediateAttempts: 2, cooldown: 'P1Y' } }, '2026-07-01T00:00:00Z'),
      422,
      'POLICY_OUT_OF_BOUNDS',
    );
    expectProblem(await adopt({ ...base, version: 'far' }, '9999-01-01T00:00:00Z'), 422, 'POLICY_OUT_OF_BOUNDS');
    expect(await h.store.headPosition()).toBe(before);
    // OpenAPI documents the withdrawal and the new codes.
    const openapi = (await h.http.get('/docs/openapi.json')).body as {
      paths: Record<string, { post?: { responses: Record<string, unknown> } }>;
      components: { schemas: { Problem: { properties: { code: { enum: string[] } } } } };
    };
    expect(Object.keys(openapi.paths['/admin/policies/{version}/withdrawal']?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '404', '409', '422']),
    );
    expect(openapi.components.schemas.Problem.properties.code.enum).toEqual(
      expect.arrayContaining(['POLICY_CONTRADICTS_R1', 'POLICY_OUT_OF_BOUNDS', 'POLICY_ADOPTION_NOT_FOUND', 'POLICY_ALREADY_EFFECTIVE']),
    );
    // Earnings keep working: nothing unbounded was adopted.
    await h.http
      .post('/certification-profiles/pw-1/certifications')
      .set('Authorization', `Bearer ${h.token(['exam-system'])}`)
      .send({ certificationCode: 'azure-developer-associate' })
      .expect(201);
  });

  it('#16.7 R14b: a pending adoption is withdrawn with a reason; the read model is rebuilt without it (ADR 0003); refusals store nothing', async () => {
    expect(await windowOpensAt()).toBe('2026-07-01T00:00:00.000Z');
    const adopted = await adopt({ ...base, version: 'w-1', window: { beforeExpiry: 'P3M' } }, '2026-06-15T00:00:00Z');
    expect(adopted.status).toBe(201);
    await swapsReach(1);
    expect(await windowOpensAt()).toBe('2026-10-01T00:00:00.000Z');

    const before = await h.store.headPosition();
    expectProblem(await withdraw('w-1', {}), 400, 'VALIDATION_FAILED');
    expectProblem(await withdraw('w-1', { reason: 'x'.repeat(10) }, `Bearer ${h.token(['support'])}`), 403, 'FORBIDDEN');
    expectProblem(await withdraw('2021-06-30'), 404, 'POLICY_ADOPTION_NOT_FOUND');
    expectProblem(await withdraw('nope'), 404, 'POLICY_ADOPTION_NOT_FOUND');
    expect(await h.store.headPosition()).toBe(before);

    const res = await withdraw('w-1', { reason: 'Ticket 42: the window should have stayed P6M' });
    expect(res.status).toBe(200);
    expect((res.body as { events: unknown[] }).events).toMatchObject([
      {
        type: 'PolicyAdoptionWithdrawn',
        stream: 'policy-adoptions',
        data: { version: 'w-1', reason: 'Ticket 42: the window should have stayed P6M', effectiveFrom: '2026-06-15T00:00:00.000Z' },
      },
    ]);
    expect(h.app.get(PolicyRegistry).book().byVersion('w-1')).toBeUndefined();
    await swapsReach(2);
    expect(await windowOpensAt()).toBe('2026-07-01T00:00:00.000Z');
    expectProblem(await withdraw('w-1'), 404, 'POLICY_ADOPTION_NOT_FOUND');
    // The name stays used: a corrected policy is adopted under a new version.
    expectProblem(await adopt({ ...base, version: 'w-1' }, '2026-06-15T00:00:00Z'), 400, 'VALIDATION_FAILED');
  }, 120_000);

  it('#16.7 R14b: refused once in force (409); a restart keeps the withdrawal', async () => {
    expect((await adopt({ ...base, version: 'w-2', extension: 'P2Y' }, '2026-06-20T00:00:00Z')).status).toBe(201);
    h.clock.set(new Date('2026-06-20T00:00:00Z'));
    const before = await h.store.headPosition();
    expectProblem(await withdraw('w-2'), 409, 'POLICY_ALREADY_EFFECTIVE');
    expect(await h.store.headPosition()).toBe(before);
    await h.close();
    h = await startApp({ clockStart: '2026-06-20T00:00:00Z', dataDir });
    const book = h.app.get(PolicyRegistry).book();
    expect(book.byVersion('w-1')).toBeUndefined();
    expect(book.byVersion('w-2')).toMatchObject({ extension: 'P2Y' });
  }, 120_000);
});

describe('event versioning', () => {
  it('R13/R14: an AssessmentAttempted stored as v1, without language, is read as v2 with language en', async () => {
    const h = await startApp({ clockStart: '2026-06-01T00:00:00Z' });
    try {
      const t = (roles: Parameters<Harness['token']>[0]) => `Bearer ${h.token(roles)}`;
      await seedProfile(h, 'v1-1', { earn: [{ code: 'azure-developer-associate', earnedAt: '2025-09-01T00:00:00Z' }] });
      const stream = 'holding-v1-1.azure-developer-associate';
      const windowId = 'v1-1.azure-developer-associate@2026-09-01T00:00:00.000Z';
      // Written as an older release of recert wrote it: schemaVersion 1, no language.
      await h.store.append(
        stream,
        [
          {
            id: '11111111-1111-4111-8111-111111111111',
            type: 'AssessmentAttempted',
            data: {
              holdingId: 'v1-1.azure-developer-associate',
              profileId: 'v1-1',
              certificationCode: 'azure-developer-associate',
              attemptId: 'old-1',
              windowId,
              attempt: 1,
              passed: false,
              score: 400,
              attemptedAt: '2026-05-01T00:00:00.000Z',
              policyVersion: '2021-06-30',
            },
            metadata: {
              correlationId: 'c',
              causationId: 'c',
              actor: 'assessment-system',
              occurredAt: '2026-05-01T00:00:00.000Z',
              schemaVersion: 1,
              policyVersion: '2021-06-30',
            },
          },
        ],
        { expectedRevision: 0 },
      );
      const history = await h.http.get('/certification-profiles/v1-1/history').set('Authorization', t(['support']));
      const attempted = (
        history.body as { events: { type: string; data: Record<string, unknown>; metadata: Record<string, unknown> }[] }
      ).events.find((e) => e.type === 'AssessmentAttempted');
      expect(attempted).toMatchObject({ data: { language: 'en', attempt: 1 }, metadata: { schemaVersion: 2 } });
      // The stored bytes are untouched: upcasting happens on read, at the store boundary (#17.3), so the app's store
      // reads it as v2 and only the bare adapter sees the stored v1.
      expect((await h.store.readStream(stream))[1]).toMatchObject({ data: { language: 'en' }, metadata: { schemaVersion: 2 } });
      const bare = new SqliteEventStore({ file: join(h.dataDir, 'events.db') });
      const raw = await bare.readStream(stream).finally(() => bare.close());
      expect(raw[1]?.data['language']).toBeUndefined();
      expect(raw[1]?.metadata.schemaVersion).toBe(1);
      // Deciders fold it like any v2 attempt: the next one is attempt 2.
      await linkAsHolder(h, 'v1-1', 'l-v1', { accountId: 'acc-v1-1' }).expect(200);
      const next = await h.http
        .post('/certification-profiles/v1-1/certifications/azure-developer-associate/renewal-attempts')
        .set('Authorization', t(['assessment-system']))
        .send({ passed: false, language: 'en' });
      expect(next.body).toMatchObject({ attempt: 2 });
    } finally {
      await h.close();
    }
  });
});
