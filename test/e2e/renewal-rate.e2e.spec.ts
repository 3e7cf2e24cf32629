import { expectProblem, Harness, seedProfile, startApp } from '../support/harness';
import { eventually } from '../support/wait';

type RenewalRate = {
  asOf: string;
  certification: string | null;
  months: { month: string; closed: number; renewed: number; rate: number | null }[];
};

/** #15.4: renewal rate over time, renewed / windows closed per month, from the renewal-outcomes read model. */
describe('#15.4 renewal rate per month', () => {
  let h: Harness;
  const admin = (): string => `Bearer ${h.token(['admin'])}`;
  const rate = (query = ''): Promise<{ status: number; body: RenewalRate }> =>
    h.http
      .get(`/reports/renewal-rate${query}`)
      .set('Authorization', admin())
      .then((res) => ({ status: res.status, body: res.body as RenewalRate }));

  beforeAll(async () => {
    // Policy 2021-06-30: associates valid a year, window six months before expiry.
    h = await startApp({ clockStart: '2025-01-10T00:00:00Z' });
    const code = 'azure-administrator-associate';
    for (const [id, earnedAt] of [
      ['march-1', '2024-03-15T00:00:00Z'],
      ['march-2', '2024-03-15T00:00:00Z'],
      ['march-3', '2024-03-20T00:00:00Z'],
      ['march-4', '2024-03-20T00:00:00Z'],
      ['april-1', '2024-04-20T00:00:00Z'],
    ] as const) {
      await seedProfile(h, id, { linked: true, earn: [{ code, earnedAt }] });
    }
    await seedProfile(h, 'dev-1', { linked: true, earn: [{ code: 'azure-developer-associate', earnedAt: '2024-03-15T00:00:00Z' }] });
    // Two of the March windows end in a renewal (while open, before their expiry).
    let position = 0;
    for (const id of ['march-1', 'march-3']) {
      const passed = await h.http
        .post(`/certification-profiles/${id}/certifications/${code}/renewal-attempts`)
        .set('Authorization', `Bearer ${h.token(['assessment-system'])}`)
        .send({ passed: true, language: 'en', score: 800 });
      expect(passed.status).toBe(201);
      position = (passed.body as { position: number }).position;
    }
    // Before any expiry date passes, no window has closed: a renewal's window counts once its expiry date is past.
    const early = await rate(`?months=3&consistentWith=${position}`);
    expect(early.status).toBe(200);
    expect(early.body.months.every((m) => m.closed === 0)).toBe(true);
    h.clock.set(new Date('2025-05-02T00:00:00Z'));
    await h.http
      .post('/admin/scheduler/run')
      .set('Authorization', `Bearer ${h.token(['scheduler'])}`)
      .expect(200);
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  }, 60_000);

  it('#15.4: counts, per month of the window closing, the windows renewed over those closed (renewed or expired)', async () => {
    const answer = await eventually('every expiry is in the renewal-outcomes model', async () => {
      const res = await rate('?months=4');
      const total = res.body.months.reduce((sum, m) => sum + m.closed, 0);
      return total === 6 ? res : undefined;
    });
    expect(answer.status).toBe(200);
    expect(answer.body.certification).toBeNull();
    expect(answer.body.months).toEqual([
      { month: '2025-02', closed: 0, renewed: 0, rate: null },
      { month: '2025-03', closed: 5, renewed: 2, rate: 0.4 },
      { month: '2025-04', closed: 1, renewed: 0, rate: 0 },
      { month: '2025-05', closed: 0, renewed: 0, rate: null },
    ]);
  });

  it('#15.4: filters by certification and defaults to twelve months', async () => {
    const dev = await rate('?certification=azure-developer-associate');
    expect(dev.status).toBe(200);
    expect(dev.body.months).toHaveLength(12);
    expect(dev.body.months.at(-1)?.month).toBe('2025-05');
    expect(dev.body.months.find((m) => m.month === '2025-03')).toEqual({ month: '2025-03', closed: 1, renewed: 0, rate: 0 });
  });

  it('#15.4: bad input is a 400 problem, holders may not read it, and OpenAPI describes it', async () => {
    expectProblem(await h.http.get('/reports/renewal-rate?months=0').set('Authorization', admin()), 400, 'VALIDATION_FAILED');
    expectProblem(await h.http.get('/reports/renewal-rate?months=61').set('Authorization', admin()), 400, 'VALIDATION_FAILED');
    expectProblem(await h.http.get('/reports/renewal-rate?certification=BAD!').set('Authorization', admin()), 400, 'VALIDATION_FAILED');
    expectProblem(
      await h.http.get('/reports/renewal-rate').set('Authorization', `Bearer ${h.token(['candidate'], { profileId: 'march-1' })}`),
      403,
      'FORBIDDEN',
    );
    const doc = (await h.http.get('/docs/openapi.json')).body as {
      paths: Record<string, { get?: { summary?: string; responses: Record<string, unknown> } }>;
    };
    expect(doc.paths['/reports/renewal-rate']?.get?.summary).toContain('renewed / windows closed');
    expect(doc.paths['/reports/renewal-rate']?.get?.responses['200']).toBeDefined();
  });
});
