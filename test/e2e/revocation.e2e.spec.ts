import { auditExportLines, expectNothingStored, expectProblem, Harness, seedProfile, startApp } from '../support/harness';

type Cert = { code: string; status: string; suspendedUntil: string | null; blockedBy: string[]; cycle: number };
type Written = { position: number; events: { type: string; data: Record<string, unknown> }[] };
// A loaded machine: no test here may fail on time (hooks and tests wait for conditions, not moments).
jest.setTimeout(60_000);

const AA = 'azure-administrator-associate';

/** #13 item 1 through HTTP: revocation, suspension and reinstatement (R15-R18). */
describe('revocation and suspension over HTTP', () => {
  let h: Harness;
  const bearer = (roles: Parameters<Harness['token']>[0], sub?: string): string => `Bearer ${h.token(roles, sub ? { sub } : {})}`;
  const standing = (profileId: string, kind: 'revocation' | 'suspension' | 'reinstatement', body: object, sub = 'admin-ada') =>
    h.http
      .post(`/certification-profiles/${profileId}/certifications/${AA}/${kind}`)
      .set('Authorization', bearer(['admin'], sub))
      .send(body);
  const cert = async (profileId: string, written?: { position: number }): Promise<Cert> => {
    const res = await h.http
      .get(`/certification-profiles/${profileId}/dashboard${written ? `?consistentWith=${written.position}` : ''}`)
      .set('Authorization', bearer(['support']));
    expect(res.status).toBe(200);
    return (res.body as { certifications: Cert[] }).certifications.find((c) => c.code === AA) as Cert;
  };
  const attempt = (profileId: string) =>
    h.http
      .post(`/certification-profiles/${profileId}/certifications/${AA}/renewal-attempts`)
      .set('Authorization', bearer(['assessment-system']))
      .send({ passed: true, language: 'en' });

  beforeAll(async () => {
    h = await startApp({ clockStart: '2026-01-01T00:00:00Z' });
    // Earned 2026-01-01: expires 2027-01-01, window opens 2026-07-01.
    for (const id of ['rv-1', 'rv-2', 'rv-3']) await seedProfile(h, id, { linked: true, earn: [{ code: AA }] });
  }, 60_000);
  afterAll(async () => h.close());

  it('R15: only an admin may revoke (403 for support), and a reason is mandatory (400, nothing stored)', async () => {
    const support = await h.http
      .post(`/certification-profiles/rv-1/certifications/${AA}/revocation`)
      .set('Authorization', bearer(['support']))
      .send({ reason: 'exam fraud' });
    expect(support.status).toBe(403);
    await expectNothingStored(h, async () => {
      expectProblem(await standing('rv-1', 'revocation', {}), 400, 'VALIDATION_FAILED');
      expectProblem(await standing('rv-1', 'revocation', { reason: '   ' }), 400, 'VALIDATION_FAILED');
      expectProblem(await standing('rv-1', 'suspension', { reason: 'x'.repeat(501) }), 400, 'VALIDATION_FAILED');
      expectProblem(await standing('rv-1', 'suspension', { reason: 'checking', until: 'tomorrow' }), 400, 'VALIDATION_FAILED');
    });
  });

  it('R15: a revocation answers 200 with its event; the dashboard says revoked; renewal and a second revocation are refused', async () => {
    const res = await standing('rv-1', 'revocation', { reason: 'exam fraud, case 17' });
    expect(res.status).toBe(200);
    const written = res.body as Written;
    expect(written.events).toEqual([
      expect.objectContaining({ type: 'CertificationRevoked', data: expect.objectContaining({ reason: 'exam fraud, case 17', cycle: 1 }) }),
    ]);
    expect(await cert('rv-1', written)).toMatchObject({ status: 'revoked', blockedBy: ['HOLDING_REVOKED'] });
    h.clock.set(new Date('2026-08-01T00:00:00Z'));
    await expectNothingStored(h, async () => {
      expectProblem(await attempt('rv-1'), 409, 'HOLDING_REVOKED');
      expectProblem(await standing('rv-1', 'revocation', { reason: 'again' }), 409, 'HOLDING_REVOKED');
      expectProblem(await standing('rv-1', 'suspension', { reason: 'again' }), 409, 'HOLDING_REVOKED');
      expectProblem(await standing('rv-1', 'reinstatement', { reason: 'again' }), 409, 'HOLDING_REVOKED');
    });
  });

  it('R16/R17: a suspension until an instant blocks renewal, then ends by itself at that instant (manual clock)', async () => {
    h.clock.set(new Date('2026-08-02T00:00:00Z'));
    const res = await standing('rv-2', 'suspension', { reason: 'identity check', until: '2026-09-01T00:00:00Z' });
    expect(res.status).toBe(200);
    expect(await cert('rv-2', res.body as Written)).toMatchObject({
      status: 'suspended',
      suspendedUntil: '2026-09-01T00:00:00.000Z',
      blockedBy: ['HOLDING_SUSPENDED'],
    });
    await expectNothingStored(h, async () => {
      expectProblem(await attempt('rv-2'), 409, 'HOLDING_SUSPENDED');
      expectProblem(await standing('rv-2', 'suspension', { reason: 'twice' }), 409, 'HOLDING_SUSPENDED');
    });
    h.clock.set(new Date('2026-09-01T00:00:00Z'));
    expect(await cert('rv-2')).toMatchObject({ status: 'renewal-open', suspendedUntil: null, blockedBy: [] });
    expectProblem(await standing('rv-2', 'reinstatement', { reason: 'cleared' }), 409, 'HOLDING_NOT_SUSPENDED');
    const renewed = await attempt('rv-2');
    expect(renewed.status).toBe(201);
  });

  it('R17: an open-ended suspension lasts until reinstated; then the holding renews', async () => {
    h.clock.set(new Date('2026-09-02T00:00:00Z'));
    const suspended = await standing('rv-3', 'suspension', { reason: 'disciplinary review' });
    expect(suspended.status).toBe(200);
    h.clock.set(new Date('2026-10-02T00:00:00Z'));
    // Read-your-writes: the dashboard waits for the suspension (a busy machine projects it later than the answer).
    expect(await cert('rv-3', suspended.body as Written)).toMatchObject({ status: 'suspended', suspendedUntil: null });
    const reinstated = await standing('rv-3', 'reinstatement', { reason: 'review closed' }, 'admin-bob');
    expect(reinstated.status).toBe(200);
    expect(await cert('rv-3', reinstated.body as Written)).toMatchObject({ status: 'renewal-open' });
    expect((await attempt('rv-3')).status).toBe(201);
  });

  it('R15: earning again after revocation starts a new cycle at once', async () => {
    const res = await h.http
      .post('/certification-profiles/rv-1/certifications')
      .set('Authorization', bearer(['exam-system']))
      .send({ certificationCode: AA });
    expect(res.status).toBe(201);
    expect(await cert('rv-1', res.body as Written)).toMatchObject({ status: 'active', cycle: 2 });
  });

  it('R18: reports count holdings by the new statuses', async () => {
    await standing('rv-2', 'suspension', { reason: 'second look' });
    const w = await standing('rv-3', 'revocation', { reason: 'fraud found' });
    await cert('rv-3', w.body as Written);
    const res = await h.http.get('/reports/summary').set('Authorization', bearer(['admin']));
    expect(res.status).toBe(200);
    const body = res.body as { byStatus: Record<string, number> };
    expect(body.byStatus).toMatchObject({ revoked: 1, suspended: 1, active: 1 });
  });

  it('R18: history and the audit export show every revocation, suspension and reinstatement with actor and reason', async () => {
    const history = await h.http.get('/certification-profiles/rv-3/history').set('Authorization', bearer(['support']));
    expect(history.status).toBe(200);
    const types = (history.body as { events: { type: string }[] }).events.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['CertificationSuspended', 'CertificationReinstated', 'CertificationRevoked']));

    type Line = { kind: string; event?: { type: string; stream: string; data: { reason?: string }; metadata: { actor: string } } };
    const standingLines = (await auditExportLines(h))
      .map((line) => JSON.parse(line) as Line)
      .filter((line) => line.kind === 'event' && /^Certification(Revoked|Suspended|Reinstated)$/.test(line.event?.type ?? ''))
      .map((line) => ({
        type: line.event?.type,
        stream: line.event?.stream,
        actor: line.event?.metadata.actor,
        reason: line.event?.data.reason,
      }));
    expect(standingLines).toEqual([
      { type: 'CertificationRevoked', stream: `holding-rv-1.${AA}`, actor: 'admin-ada', reason: 'exam fraud, case 17' },
      { type: 'CertificationSuspended', stream: `holding-rv-2.${AA}`, actor: 'admin-ada', reason: 'identity check' },
      { type: 'CertificationSuspended', stream: `holding-rv-3.${AA}`, actor: 'admin-ada', reason: 'disciplinary review' },
      { type: 'CertificationReinstated', stream: `holding-rv-3.${AA}`, actor: 'admin-bob', reason: 'review closed' },
      { type: 'CertificationSuspended', stream: `holding-rv-2.${AA}`, actor: 'admin-ada', reason: 'second look' },
      { type: 'CertificationRevoked', stream: `holding-rv-3.${AA}`, actor: 'admin-ada', reason: 'fraud found' },
    ]);
  });
});
