import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog, loadPolicyBook, runWhatIf } from '@recert/renewals';
import { PolicyBook, WhatIfReport } from '@recert/domain';
import { seedPopulation } from '../bench/seed';
import { expectProblem, Harness, startApp, seedProfile } from '../support/harness';
import { eventually } from '../support/wait';

const root = join(__dirname, '..', '..');
const shipped = JSON.parse(readFileSync(join(root, 'config', 'policy.json'), 'utf8')) as unknown[];
const p2y = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'policies', 'validity-p2y.json'), 'utf8')) as unknown[];
const p180d = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'policies', 'window-p180d.json'), 'utf8')) as unknown[];
const AS_OF = '2026-06-01T00:00:00Z';

/**
 * What-if replay (R14) over a hand-computed fixture:
 *  fx-1: azure-administrator-associate earned 2025-03-01 (expires 2026-03-01, window 2025-09-01), fundamentals
 *        earned 2025-01-01, specialty earned 2020-12-20 under the two-year policy (expires 2022-12-20, window 2022-06-20);
 *  fx-3: linked, associate earned 2025-09-01 (expires 2026-09-01, window 2026-03-01), renewed by a pass on 2026-04-01.
 */
describe('what-if policy replay', () => {
  let h: Harness;
  const bearer = (roles: Parameters<Harness['token']>[0]): string => `Bearer ${h.token(roles)}`;

  beforeAll(async () => {
    h = await startApp({ clockStart: '2026-01-01T00:00:00Z' });
    const exam = bearer(['exam-system']);
    await seedProfile(h, 'fx-1');
    await seedProfile(h, 'fx-3', { linked: true });
    const earn = (profileId: string, certificationCode: string, earnedAt: string) =>
      h.http
        .post(`/certification-profiles/${profileId}/certifications`)
        .set('Authorization', exam)
        .send({ certificationCode, earnedAt })
        .expect(201);
    await earn('fx-1', 'azure-administrator-associate', '2025-03-01T00:00:00Z');
    await earn('fx-1', 'azure-fundamentals', '2025-01-01T00:00:00Z');
    await earn('fx-1', 'azure-virtual-desktop-specialty', '2020-12-20T00:00:00Z');
    await earn('fx-3', 'azure-administrator-associate', '2025-09-01T00:00:00Z');
    h.clock.set(new Date('2026-04-01T00:00:00Z'));
    await h.http
      .post('/certification-profiles/fx-3/certifications/azure-administrator-associate/renewal-attempts')
      .set('Authorization', bearer(['assessment-system']))
      .send({ passed: true, language: 'en' })
      .expect(201);
    h.clock.set(new Date(AS_OF));
    await h.http
      .post('/admin/scheduler/run')
      .set('Authorization', bearer(['scheduler']))
      .expect(200);
  }, 60_000);
  afterAll(async () => h.close(), 60_000);

  const replay = async (policy: unknown): Promise<WhatIfReport> => {
    const started = await h.http
      .post('/admin/policy-replays')
      .set('Authorization', bearer(['admin']))
      .send({ policy, asOf: AS_OF });
    expect(started.status).toBe(202);
    const id = (started.body as { id: string }).id;
    return eventually('the replay finishes', async () => {
      const job = await h.http.get(`/admin/policy-replays/${id}`).set('Authorization', bearer(['admin']));
      const body = job.body as {
        state: string;
        report: WhatIfReport | null;
        progress: { eventsRead: number; eventsTotal: number; percent: number; position: number; head: number };
      };
      if (body.state === 'done' && body.report) {
        expect(body.progress.position).toBe(body.progress.head);
        // #12.12: progress counts events (the facts replayed), not store positions.
        expect(body.progress).toMatchObject({
          eventsRead: body.report.eventsReplayed,
          eventsTotal: body.report.eventsReplayed,
          percent: 100,
        });
        return body.report;
      }
      expect(body.state).toBe('running');
      return undefined;
    });
  };

  it('R14: under the shipped policy nothing differs', async () => {
    const report = await replay(shipped);
    expect(report).toMatchObject({ holdingsCompared: 4, holdingsDiffering: 0, holdings: [] });
  });

  it('R2/R3/R5/R14: with two-year validity, exactly the hand-computed holdings differ', async () => {
    const report = await replay(p2y);
    expect(report.holdings.map((d) => [d.holdingId, d.changes])).toEqual([
      ['fx-1.azure-administrator-associate', ['status', 'expiry', 'window']],
      ['fx-3.azure-administrator-associate', ['attempt-refused', 'renewal-lost']],
    ]);
    const [h1, h3] = report.holdings;
    expect(h1).toMatchObject({
      live: { status: 'expired', expiresAt: '2026-03-01T00:00:00.000Z', renewalWindowOpensAt: '2025-09-01T00:00:00.000Z' },
      candidate: { status: 'active', expiresAt: '2027-03-01T00:00:00.000Z', renewalWindowOpensAt: '2026-09-01T00:00:00.000Z' },
    });
    expect(h3).toMatchObject({
      live: { status: 'active', expiresAt: '2027-09-01T00:00:00.000Z', renewals: 1 },
      candidate: { status: 'active', expiresAt: '2027-09-01T00:00:00.000Z', renewals: 0 },
      refused: [{ kind: 'attempt', at: '2026-04-01T00:00:00.000Z', code: 'WINDOW_NOT_OPEN' }],
    });
    expect(report.totals.byKind).toEqual({
      status: 1,
      expiry: 1,
      window: 1,
      'attempt-refused': 1,
      'renewal-lost': 1,
      'renewal-gained': 0,
      'earning-refused': 0,
    });
    expect(report.totals.byCertification['azure-administrator-associate']).toMatchObject({ holdings: 2, differing: 2 });
  });

  it('R100: the latest replay is answered as its summary and one page of differences, bounded', async () => {
    const latest = async (query: string) => h.http.get(`/admin/policy-replays/latest${query}`).set('Authorization', bearer(['admin']));
    const first = (await latest('?pageSize=1')).body as { report: WhatIfReport; differences: unknown };
    expect(first.differences).toEqual({ total: 2, page: 1, pageSize: 1 });
    expect(first.report).toMatchObject({ holdingsDiffering: 2, totals: { byKind: { status: 1 } } });
    expect(first.report.holdings.map((d) => d.holdingId)).toEqual(['fx-1.azure-administrator-associate']);
    const second = (await latest('?pageSize=1&page=2')).body as { report: WhatIfReport };
    expect(second.report.holdings.map((d) => d.holdingId)).toEqual(['fx-3.azure-administrator-associate']);
    expect(((await latest('')).body as { differences: unknown }).differences).toEqual({ total: 2, page: 1, pageSize: 50 });
    expectProblem(await latest('?pageSize=201'), 400, 'VALIDATION_FAILED');
    expectProblem(await latest('?page=0'), 400, 'VALIDATION_FAILED');
  });

  it('R3/R14: with a 180-day window, exactly the hand-computed windows move', async () => {
    const report = await replay(p180d);
    expect(report.holdings.map((d) => [d.holdingId, d.changes, d.live.renewalWindowOpensAt, d.candidate.renewalWindowOpensAt])).toEqual([
      ['fx-1.azure-administrator-associate', ['window'], '2025-09-01T00:00:00.000Z', '2025-09-02T00:00:00.000Z'],
      ['fx-1.azure-virtual-desktop-specialty', ['window'], '2022-06-20T00:00:00.000Z', '2022-06-23T00:00:00.000Z'],
      ['fx-3.azure-administrator-associate', ['window'], '2027-03-01T00:00:00.000Z', '2027-03-05T00:00:00.000Z'],
    ]);
    expect(report.totals.byKind.window).toBe(3);
  });

  it('R110: the report is paged: the summary whole, the differing holdings by page with a cursor, limit bounded', async () => {
    const whole = await replay(p180d);
    const admin = bearer(['admin']);
    interface Paged {
      report: WhatIfReport;
      page: { limit: number; nextCursor: string | null };
    }
    const summary = await h.http.get('/admin/policy-replays/latest?limit=0').set('Authorization', admin).expect(200);
    expect((summary.body as Paged).report).toMatchObject({ holdingsDiffering: 3, holdings: [], totals: whole.totals });
    // Walk the pages of two: the same three holdings in the same order, and no page past the last.
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${cursor}`;
      const res = await h.http.get(`/admin/policy-replays/latest${query}`).set('Authorization', admin).expect(200);
      const body = res.body as Paged;
      expect(body.report.holdingsDiffering).toBe(3);
      expect(body.page.limit).toBe(2);
      seen.push(...body.report.holdings.map((d) => d.holdingId));
      cursor = body.page.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 5);
    expect(pages).toBe(2);
    expect(seen).toEqual(whole.holdings.map((d) => d.holdingId));
    // The default page is bounded (50); over the maximum, a malformed limit or cursor: 400, never a clamp.
    const byDefault = await h.http.get('/admin/policy-replays/latest').set('Authorization', admin).expect(200);
    expect((byDefault.body as Paged).page).toEqual({ limit: 50, nextCursor: null });
    for (const query of ['?limit=501', '?limit=-1', '?limit=abc', '?cursor=not-a-cursor', '?cursor=%7B%7D'])
      expectProblem(await h.http.get(`/admin/policy-replays/latest${query}`).set('Authorization', admin), 400, 'VALIDATION_FAILED');
  });

  it('R14: a replay never writes: the live log is byte-for-byte unchanged', async () => {
    const fingerprint = (): string => {
      const hash = createHash('sha256');
      for (const file of ['events.db', 'events.db-wal'])
        if (existsSync(join(h.dataDir, file))) hash.update(readFileSync(join(h.dataDir, file)));
      return hash.digest('hex');
    };
    const before = fingerprint();
    const head = await h.store.headPosition();
    await replay(p2y);
    await replay(p180d);
    expect(fingerprint()).toBe(before);
    expect(await h.store.headPosition()).toBe(head);
  });

  it('refuses an invalid candidate policy with a 400 problem, and only admins may replay', async () => {
    expectProblem(
      await h.http
        .post('/admin/policy-replays')
        .set('Authorization', bearer(['admin']))
        .send({ policy: { version: 'x' } }),
      400,
      'VALIDATION_FAILED',
    );
    // #16.7: a candidate is held to R1 and R14a's bounds like an adoption, one version or a whole book.
    const version = (shipped as Record<string, unknown>[])[1] as Record<string, unknown>;
    const validity = version['validity'] as Record<string, unknown>;
    for (const candidate of [
      { ...version, version: 'huge', validity: { ...validity, associate: 'P999999999Y' } },
      { ...version, version: 'never', validity: { ...validity, associate: null } },
      [{ ...version, validity: { ...validity, fundamentals: 'P1Y' } }],
    ]) {
      const res = await h.http
        .post('/admin/policy-replays')
        .set('Authorization', bearer(['admin']))
        .send({ policy: candidate });
      expectProblem(res, 400, 'VALIDATION_FAILED');
    }
    expectProblem(
      await h.http
        .post('/admin/policy-replays')
        .set('Authorization', bearer(['support']))
        .send({ policy: shipped }),
      403,
      'FORBIDDEN',
    );
    expectProblem(
      await h.http.get('/admin/policy-replays/00000000-0000-4000-8000-000000000000').set('Authorization', bearer(['admin'])),
      404,
      'NOT_FOUND',
    );
  });

  it('R14: `npm run replay` prints the summary, a progress bar, and writes the JSON report', () => {
    const out = join(h.dataDir, 'report.json');
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'scripts', 'replay.ts'),
        '--policy',
        join(root, 'test', 'fixtures', 'policies', 'validity-p2y.json'),
        '--as-of',
        AS_OF,
        '--out',
        out,
      ],
      {
        cwd: root,
        env: { ...process.env, DATA_DIR: h.dataDir, AUTH_JWT_SECRET: 'x'.repeat(40) },
        encoding: 'utf8',
      },
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('2 would differ');
    expect(result.stderr).toMatch(/\[#+\] 100%/);
    const report = JSON.parse(readFileSync(out, 'utf8')) as WhatIfReport;
    expect(report.holdingsDiffering).toBe(2);
  }, 120_000); // a child process that compiles and replays the log
});

describe('what-if over a synthetic population', () => {
  it('R14: replaying a generated population under its own policy reports zero differences', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'recert-whatif-'));
    try {
      const catalog = loadCatalog(join(root, 'config', 'catalog.json'));
      const live = loadPolicyBook(join(root, 'config', 'policy.json'));
      const now = new Date('2026-06-01T00:00:00Z');
      await seedPopulation({ dataDir, targetEvents: 20_000, catalog, policies: live, now });
      const { SqliteEventStore } = await import('@recert/eventstore');
      const store = new SqliteEventStore({ file: join(dataDir, 'events.db') });
      const same = await runWhatIf({ store, live, candidate: live, catalog, asOf: now });
      const shorter = await runWhatIf({ store, live, candidate: new PolicyBook(p2y.map((p) => p as never)), catalog, asOf: now });
      await store.close();
      expect(same.holdingsCompared).toBeGreaterThan(3000);
      expect(same.holdingsDiffering).toBe(0);
      expect(shorter.holdingsDiffering).toBeGreaterThan(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000); // seeds 20,000 events and replays them twice
});
