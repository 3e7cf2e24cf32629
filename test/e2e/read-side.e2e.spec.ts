import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Response } from 'supertest';
import { ProjectionRunner, sha256, verifyAuditLines } from '@recert/projections';
import { expectProblem, Harness, linkAsHolder, seedProfile, startApp } from '../support/harness';

/** Collects a streamed NDJSON answer as text. */
const text = (response: Response, done: (error: Error | null, body: string) => void): void => {
  let body = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => (body += chunk));
  response.on('end', () => done(null, body));
};

type Cert = Record<string, unknown> & { code: string; status: string; blockedBy: string[] };
type DashboardBody = { profile: Record<string, unknown>; certifications: Cert[] };
type Written = { position: number };

/** The read side through HTTP: dashboard after each kind of event, history, read-your-writes, reports, audit export. */
describe('read side over HTTP', () => {
  let h: Harness;
  const bearer = (roles: Parameters<Harness['token']>[0], profileId?: string): string =>
    `Bearer ${h.token(roles, profileId ? { profileId } : {})}`;

  beforeAll(async () => {
    h = await startApp({ clockStart: '2026-01-01T00:00:00Z' });
  }, 60_000);
  afterAll(async () => h.close(), 60_000);

  const post = async (path: string, roles: Parameters<Harness['token']>[0], body: object, status: number): Promise<Written> => {
    const res = await h.http.post(path).set('Authorization', bearer(roles)).send(body);
    expect(res.status).toBe(status);
    return res.body as Written;
  };
  const dashboard = async (profileId: string, written?: Written): Promise<DashboardBody> => {
    const res = await h.http
      .get(`/certification-profiles/${profileId}/dashboard${written ? `?consistentWith=${written.position}` : ''}`)
      .set('Authorization', bearer(['candidate'], profileId));
    expect(res.status).toBe(200);
    return res.body as DashboardBody;
  };
  const cert = (d: DashboardBody, code: string): Cert | undefined => d.certifications.find((c) => c.code === code);

  it('the dashboard follows every kind of event (R1, R3, R4, R5, R7, R8, R9, R11, R12)', async () => {
    const AA = 'azure-administrator-associate';
    let w = await post(
      '/certification-profiles',
      ['exam-system'],
      { profileId: 'dash-1', accountId: 'acc-d1', accountType: 'personal', displayName: 'Mary Jackson', email: 'mj@example.com' },
      201,
    );
    let d = await dashboard('dash-1', w);
    expect(d.profile).toEqual({
      profileId: 'dash-1',
      displayName: 'Mary Jackson',
      linkedLearnProfileId: null,
      status: 'active',
      mergedInto: null,
    });
    expect(d.certifications).toEqual([]);

    w = await post('/certification-profiles/dash-1/certifications', ['exam-system'], { certificationCode: AA }, 201);
    d = await dashboard('dash-1', w);
    expect(cert(d, AA)).toMatchObject({
      name: 'Microsoft Certified: Azure Administrator Associate',
      level: 'associate',
      status: 'active',
      earnedAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2027-01-01T00:00:00.000Z',
      renewalWindowOpensAt: '2026-07-01T00:00:00.000Z',
      daysUntilExpiry: 365,
      attempts: 0,
      canAttemptNow: false,
      blockedBy: ['WINDOW_NOT_OPEN', 'PROFILE_NOT_LINKED'],
    });

    w = await post('/certification-profiles/dash-1/certifications', ['exam-system'], { certificationCode: 'azure-fundamentals' }, 201);
    d = await dashboard('dash-1', w);
    expect(cert(d, 'azure-fundamentals')).toMatchObject({
      status: 'never-expires',
      expiresAt: null,
      daysUntilExpiry: null,
      blockedBy: ['NOT_RENEWABLE', 'PROFILE_NOT_LINKED'],
    });

    w = (await linkAsHolder(h, 'dash-1', 'learn-d1', { accountId: 'acc-d1' }).expect(200)).body as Written;
    d = await dashboard('dash-1', w);
    expect(d.profile['linkedLearnProfileId']).toBe('learn-d1');
    expect(cert(d, AA)?.blockedBy).toEqual(['WINDOW_NOT_OPEN']);

    h.clock.set(new Date('2026-07-01T00:00:00Z'));
    const run = await h.http.post('/admin/scheduler/run').set('Authorization', bearer(['scheduler']));
    expect(run.body).toMatchObject({ windowsOpened: 1, notified: 1 });
    d = await dashboard('dash-1', { position: await h.store.headPosition() });
    expect(cert(d, AA)).toMatchObject({ status: 'renewal-open', canAttemptNow: true, blockedBy: [], daysUntilExpiry: 184 });

    await post(
      `/certification-profiles/dash-1/certifications/${AA}/renewal-attempts`,
      ['assessment-system'],
      { passed: false, language: 'en' },
      201,
    );
    w = await post(
      `/certification-profiles/dash-1/certifications/${AA}/renewal-attempts`,
      ['assessment-system'],
      { passed: false, language: 'fr' },
      201,
    );
    d = await dashboard('dash-1', w);
    expect(cert(d, AA)).toMatchObject({
      attempts: 2,
      lastAttemptAt: '2026-07-01T00:00:00.000Z',
      nextAttemptAllowedAt: '2026-07-02T00:00:00.000Z',
      canAttemptNow: false,
      blockedBy: ['RETAKE_COOLDOWN'],
    });

    h.clock.set(new Date('2026-07-02T00:00:00Z'));
    w = await post(
      `/certification-profiles/dash-1/certifications/${AA}/renewal-attempts`,
      ['assessment-system'],
      { passed: true, language: 'en' },
      201,
    );
    d = await dashboard('dash-1', w);
    expect(cert(d, AA)).toMatchObject({
      status: 'active',
      expiresAt: '2028-01-01T00:00:00.000Z',
      renewalWindowOpensAt: '2027-07-01T00:00:00.000Z',
      attempts: 0,
      blockedBy: ['WINDOW_NOT_OPEN'],
    });

    h.clock.set(new Date('2028-01-01T00:00:00Z'));
    await h.http
      .post('/admin/scheduler/run')
      .set('Authorization', bearer(['scheduler']))
      .expect(200);
    d = await dashboard('dash-1', { position: await h.store.headPosition() });
    expect(cert(d, AA)).toMatchObject({ status: 'expired', daysUntilExpiry: 0, blockedBy: ['CERTIFICATION_EXPIRED'] });

    w = await post('/certification-profiles/dash-1/certifications', ['exam-system'], { certificationCode: AA }, 201);
    d = await dashboard('dash-1', w);
    expect(cert(d, AA)).toMatchObject({
      status: 'active',
      cycle: 2,
      earnedAt: '2028-01-01T00:00:00.000Z',
      expiresAt: '2029-01-01T00:00:00.000Z',
    });

    // A duplicate profile of another account is merged in: its holding moves, it closes.
    await post(
      '/certification-profiles',
      ['exam-system'],
      { profileId: 'dash-2', accountId: 'acc-d2', accountType: 'personal', displayName: 'Dup', email: 'dup@example.com' },
      201,
    );
    await post('/certification-profiles/dash-2/certifications', ['exam-system'], { certificationCode: 'azure-developer-associate' }, 201);
    w = await post('/certification-profiles/dash-1/merges', ['support'], { sourceProfileId: 'dash-2' }, 200);
    d = await dashboard('dash-1', w);
    expect(cert(d, 'azure-developer-associate')).toMatchObject({ status: 'active', expiresAt: '2029-01-01T00:00:00.000Z' });
    const source = await h.http.get('/certification-profiles/dash-2/dashboard').set('Authorization', bearer(['support']));
    expect(source.body).toMatchObject({ profile: { status: 'merged', mergedInto: 'dash-1' }, certifications: [] });
  });

  it('history lists every event of the profile and its holdings in global order, with all metadata (R14)', async () => {
    const res = await h.http.get('/certification-profiles/dash-1/history').set('Authorization', bearer(['candidate'], 'dash-1'));
    expect(res.status).toBe(200);
    const events = (res.body as { events: Record<string, unknown>[] }).events;
    const positions = events.map((e) => e['position'] as number);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(new Set(events.map((e) => e['type']))).toEqual(
      new Set([
        'CertificationProfileCreated',
        'CertificationEarned',
        'ProfilesLinked',
        'RenewalWindowOpened',
        'RenewalEligibilityNotified',
        'AssessmentAttempted',
        'CertificationRenewed',
        'CertificationExpired',
        // #29 (R83): the holder was told of the expiry, recorded beside the holding.
        'HolderMessageSent',
        'HoldingMergedIn',
        'ProfileMergeStarted',
        'CertificationProfilesMerged',
      ]),
    );
    for (const event of events) {
      expect(event).toEqual(
        expect.objectContaining({
          id: expect.any(String),
          stream: expect.any(String),
          revision: expect.any(Number),
          recordedAt: expect.any(String),
          data: expect.any(Object),
        }),
      );
      expect(event['metadata']).toEqual(
        expect.objectContaining({
          correlationId: expect.any(String),
          causationId: expect.any(String),
          actor: expect.any(String),
          occurredAt: expect.any(String),
        }),
      );
    }
    const decisions = events.filter((e) =>
      ['CertificationEarned', 'CertificationRenewed', 'CertificationExpired', 'AssessmentAttempted'].includes(e['type'] as string),
    );
    for (const decision of decisions) expect((decision['metadata'] as { policyVersion?: string }).policyVersion).toBe('2021-06-30');
    expectProblem(
      await h.http.get('/certification-profiles/dash-1/history').set('Authorization', bearer(['candidate'], 'dash-2')),
      403,
      'FORBIDDEN',
    );
    expectProblem(
      await h.http.get('/certification-profiles/nobody/history').set('Authorization', bearer(['admin'])),
      404,
      'PROFILE_NOT_FOUND',
    );
  });

  it('consistentWith waits for the read model to reach a write, and answers 503 with Retry-After when it does not in time', async () => {
    // The 503 on an app of its own with a short wait and its projections stopped: it cannot catch up, however fast.
    const short = await startApp({ clockStart: '2026-01-01T00:00:00Z', env: { CONSISTENCY_TIMEOUT_MS: '400' } });
    try {
      await short.app.get(ProjectionRunner).stop();
      const written = await short.http
        .post('/certification-profiles')
        .set('Authorization', `Bearer ${short.token(['exam-system'])}`)
        .send({ profileId: 'ryw-0', accountId: 'acc-ryw0', accountType: 'personal', displayName: 'R', email: 'r0@example.com' })
        .expect(201);
      const timedOut = await short.http
        .get(`/certification-profiles/ryw-0/dashboard?consistentWith=${(written.body as Written).position}`)
        .set('Authorization', `Bearer ${short.token(['support'])}`);
      expectProblem(timedOut, 503, 'SERVICE_UNAVAILABLE');
      expect(timedOut.headers['retry-after']).toBe('1');
    } finally {
      await short.close();
    }

    // The wait itself on the suite's app, whose wait is generous: the read answers once the runner catches up.
    const runner = h.app.get(ProjectionRunner);
    await runner.stop();
    const w = await post(
      '/certification-profiles',
      ['exam-system'],
      { profileId: 'ryw-1', accountId: 'acc-ryw', accountType: 'personal', displayName: 'R', email: 'r@example.com' },
      201,
    );

    const waiting = h.http
      .get(`/certification-profiles/ryw-1/dashboard?consistentWith=${w.position}`)
      .set('Authorization', bearer(['support']));
    const pending = waiting.then((res) => res);
    runner.start();
    const res = await pending;
    expect(res.status).toBe(200);
    expect((res.body as DashboardBody).profile['profileId']).toBe('ryw-1');
    expectProblem(
      await h.http.get('/certification-profiles/ryw-1/dashboard?consistentWith=-1').set('Authorization', bearer(['support'])),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('reports count holdings by certification and status, and page through what expires soonest', async () => {
    const summary = await h.http.get('/reports/summary').set('Authorization', bearer(['admin']));
    expect(summary.status).toBe(200);
    const body = summary.body as {
      total: number;
      byStatus: Record<string, number>;
      byCertification: { code: string; total: number; byStatus: Record<string, number> }[];
    };
    expect(body.byStatus).toEqual({ active: 2, 'renewal-open': 0, expired: 0, 'never-expires': 1, revoked: 0, suspended: 0 });
    expect(body.byCertification.find((c) => c.code === 'azure-administrator-associate')).toMatchObject({
      total: 1,
      byStatus: { active: 1 },
    });
    const expiring = await h.http.get('/reports/expiring?withinDays=400&pageSize=1').set('Authorization', bearer(['admin']));
    expect(expiring.body).toMatchObject({
      total: 2,
      page: 1,
      pageSize: 1,
      items: [{ expiresAt: '2029-01-01T00:00:00.000Z', daysUntilExpiry: 366 }],
    });
    const page2 = await h.http.get('/reports/expiring?withinDays=400&pageSize=1&page=2').set('Authorization', bearer(['admin']));
    expect((page2.body as { items: unknown[] }).items).toHaveLength(1);
    expectProblem(await h.http.get('/reports/expiring?withinDays=0').set('Authorization', bearer(['admin'])), 400, 'VALIDATION_FAILED');
    expectProblem(await h.http.get('/reports/summary').set('Authorization', bearer(['support'])), 403, 'FORBIDDEN');
  });

  it('health reports the store and each projection lag, without a token', async () => {
    const res = await h.http.get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', info: { store: { status: 'up', kind: 'sqlite' }, projections: { status: 'up' } } });
  });

  it('OpenAPI at /docs describes the endpoints and their errors', async () => {
    const res = await h.http.get('/docs/openapi.json');
    expect(res.status).toBe(200);
    const paths = Object.keys((res.body as { paths: Record<string, unknown> }).paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/certification-profiles',
        '/certification-profiles/{profileId}/dashboard',
        '/reports/expiring',
        '/audit/export',
      ]),
    );
    // Errors are described too: problem+json with the contract's codes on every operation.
    type Doc = {
      paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>;
      components: { schemas: Record<string, { properties: { code: { enum: string[] } } }> };
    };
    const doc = res.body as Doc;
    const attempt = doc.paths['/certification-profiles/{profileId}/certifications/{code}/renewal-attempts']?.['post'];
    expect(attempt?.responses['429']?.description).toContain('RETAKE_COOLDOWN');
    expect(attempt?.responses['409']?.description).toContain('WINDOW_NOT_OPEN');
    expect(doc.components.schemas['Problem']?.properties.code.enum).toEqual(
      expect.arrayContaining(['VALIDATION_FAILED', 'PROFILE_MERGED', 'CONCURRENCY_CONFLICT']),
    );
  });

  describe('audit export', () => {
    let lines: string[];
    beforeAll(async () => {
      const res = await h.http
        .get('/audit/export')
        .set('Authorization', bearer(['admin']))
        .buffer(true)
        .parse(text);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/application\/x-ndjson/);
      lines = (res.body as string).trimEnd().split('\n');
    });

    it('R14: every event in global order, hash-chained; the verifier accepts it untouched', async () => {
      expect(lines.length).toBe((await h.store.readAll({ maxCount: 100_000 })).length + 2);
      expect(verifyAuditLines(lines)).toEqual({ ok: true, events: lines.length - 2, authenticated: false });
    });

    it('R14: the verifier names the first line changed, removed or reordered, and a cut-off end', () => {
      const changed = [...lines];
      changed[5] = (changed[5] as string).replace('"actor":"', '"actor":"x');
      expect(verifyAuditLines(changed)).toMatchObject({ ok: false, line: 6, problem: 'changed' });

      const removed = lines.filter((_, i) => i !== 7);
      expect(verifyAuditLines(removed)).toMatchObject({ ok: false, line: 8, problem: 'removed' });

      const reordered = [...lines];
      [reordered[3], reordered[4]] = [reordered[4] as string, reordered[3] as string];
      expect(verifyAuditLines(reordered)).toMatchObject({ ok: false, line: 4, problem: 'reordered' });

      expect(verifyAuditLines(lines.slice(0, -3))).toMatchObject({ ok: false, problem: 'truncated' });
      expect(verifyAuditLines(lines.slice(0, -1))).toMatchObject({ ok: false, problem: 'truncated' });
    });

    it('#16.17: with AUDIT_HMAC_KEY_FILE and AUDIT_SIGNING_KEY_FILE the export carries keyed and signed heads that verify with the keys, and a re-chained copy does not', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'recert-audit-key-'));
      const key = 'an-audit-key-of-at-least-thirty-two-bytes';
      writeFileSync(join(dir, 'key'), key);
      const pair = generateKeyPairSync('ed25519');
      writeFileSync(join(dir, 'signing.pem'), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
      const keyed = await startApp({
        clockStart: '2026-01-01T00:00:00Z',
        env: { AUDIT_HMAC_KEY_FILE: join(dir, 'key'), AUDIT_SIGNING_KEY_FILE: join(dir, 'signing.pem') },
      });
      try {
        await seedProfile(keyed, 'ak-1');
        const res = await keyed.http
          .get('/audit/export')
          .set('Authorization', `Bearer ${keyed.token(['admin'])}`)
          .buffer(true)
          .parse(text);
        const exported = (res.body as string).trimEnd().split('\n');
        expect(verifyAuditLines(exported, { signingKey: pair.publicKey })).toMatchObject({ ok: true, authenticated: true });
        expect(verifyAuditLines(exported, { hmacKey: Buffer.from(key) })).toEqual({
          ok: true,
          events: exported.length - 2,
          authenticated: true,
        });
        // Altered and re-chained by someone without the key: the chain holds, the keyed head does not.
        const altered = [...exported];
        altered[1] = (altered[1] as string).replace('"actor":"', '"actor":"x');
        for (let i = 2; i < altered.length; i += 1)
          altered[i] = JSON.stringify({ ...(JSON.parse(altered[i] as string) as object), prevHash: sha256(altered[i - 1] as string) });
        expect(verifyAuditLines(altered)).toMatchObject({ ok: true, authenticated: false });
        expect(verifyAuditLines(altered, { hmacKey: Buffer.from(key) })).toMatchObject({ ok: false, problem: 'forged' });
        expect(verifyAuditLines(altered, { signingKey: pair.publicKey })).toMatchObject({ ok: false, problem: 'forged' });
      } finally {
        await keyed.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('only admins export', async () => {
      expectProblem(await h.http.get('/audit/export').set('Authorization', bearer(['support'])), 403, 'FORBIDDEN');
      expectProblem(await h.http.get('/audit/export?from=yesterday').set('Authorization', bearer(['admin'])), 400, 'VALIDATION_FAILED');
    });
  });
});
