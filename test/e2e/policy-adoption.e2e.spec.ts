import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@recert/eventstore';
import { HoldingsModel, READ_DB } from '@recert/projections';
import { loadCatalog, loadPolicyBook, PolicyRegistry } from '@recert/renewals';
import { seedPopulation } from '../bench/seed';
import { expectProblem, Harness, linkAsHolder, startApp, seedProfile } from '../support/harness';

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
    expect(
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?").get(`rm_holdings_${servingBefore}`),
    ).toBeUndefined();
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
