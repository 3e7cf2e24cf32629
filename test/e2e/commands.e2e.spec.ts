import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectNothingStored, expectProblem, Harness, seedProfile, startApp, TEST_SECRET } from '../support/harness';
import { signDevelopmentToken } from '@recert/kernel';
import { signExactly } from '../support/tokens';

/**
 * The command side of the HTTP contract through the real stack (Nest, guards, pipes, filters) and the real
 * embedded store: every error code, the auth matrix, Idempotency-Key, and that refusals store nothing.
 */
describe('commands over HTTP', () => {
  let h: Harness;
  let exam: string;
  let support: string;
  let assessment: string;
  let admin: string;

  beforeAll(async () => {
    h = await startApp({ clockStart: '2026-01-01T00:00:00Z' });
    exam = h.token(['exam-system']);
    support = h.token(['support']);
    assessment = h.token(['assessment-system']);
    admin = h.token(['admin']);
  }, 60_000);
  afterAll(async () => h.close(), 60_000);

  let seq = 0;
  const newId = (prefix = 'p'): string => `${prefix}-${++seq}-${Date.now().toString(36)}`;

  const createProfile = async (profileId = newId(), accountId = newId('acc'), accountType = 'personal') => {
    const res = await h.http
      .post('/certification-profiles')
      .set('Authorization', `Bearer ${exam}`)
      .send({ profileId, accountId, accountType, displayName: 'Ada Lovelace', email: 'ada@example.com' });
    expect(res.status).toBe(201);
    return { profileId, accountId };
  };
  /** Support links on a holder's behalf, so with a reason (API.md); a candidate's token carries its own claims. */
  const link = (profileId: string, body: Record<string, unknown>, token = support) =>
    h.http
      .post(`/certification-profiles/${profileId}/learn-profile-link`)
      .set('Authorization', `Bearer ${token}`)
      .send(token === support ? { reason: 'holder asked by phone', ...body } : body);
  const earn = (profileId: string, body: Record<string, unknown>) =>
    h.http.post(`/certification-profiles/${profileId}/certifications`).set('Authorization', `Bearer ${exam}`).send(body);
  const attempt = (profileId: string, code: string, body: Record<string, unknown>) =>
    h.http
      .post(`/certification-profiles/${profileId}/certifications/${code}/renewal-attempts`)
      .set('Authorization', `Bearer ${assessment}`)
      .send(body);
  const linkedProfile = async () => {
    const p = await createProfile();
    const res = await link(p.profileId, { learnProfileId: newId('learn'), accountId: p.accountId, accountType: 'personal' });
    expect(res.status).toBe(200);
    return p;
  };

  describe('creating a profile', () => {
    it('answers 201 with the events stored and the position of the last, with who/when/why metadata', async () => {
      const res = await h.http
        .post('/certification-profiles')
        .set('Authorization', `Bearer ${exam}`)
        .set('X-Correlation-Id', 'corr-create-1')
        .send({
          profileId: 'p-meta',
          accountId: 'acc-meta',
          accountType: 'personal',
          displayName: 'Grace Hopper',
          email: 'grace@example.com',
        });
      expect(res.status).toBe(201);
      const body = res.body as {
        events: { type: string; stream: string; position: number; metadata: Record<string, unknown>; data: Record<string, unknown> }[];
        position: number;
      };
      expect(body.events.map((e) => e.type)).toEqual(['AccountProfileRegistered', 'CertificationProfileCreated']);
      expect(body.position).toBe(body.events[1]?.position);
      const created = body.events[1];
      expect(created?.stream).toBe('profile-p-meta');
      expect(created?.metadata).toMatchObject({
        correlationId: 'corr-create-1',
        actor: 'exam-system-user',
        occurredAt: '2026-01-01T00:00:00.000Z',
      });
      // Personal data is sealed in the log (crypto-shredding), never in clear.
      expect(JSON.stringify(created?.data)).not.toContain('Grace');
      expect(JSON.stringify(await h.store.readStream('profile-p-meta'))).not.toContain('grace@example.com');
    });

    it('PROFILE_EXISTS: a second creation with the same id is refused and stores nothing', async () => {
      const p = await createProfile();
      await expectNothingStored(h, async () => {
        const res = await h.http
          .post('/certification-profiles')
          .set('Authorization', `Bearer ${support}`)
          .send({ profileId: p.profileId, accountId: 'other', accountType: 'personal', displayName: 'X', email: 'x@example.com' });
        expectProblem(res, 409, 'PROFILE_EXISTS');
      });
    });

    it('VALIDATION_FAILED: missing, unknown and malformed fields are each named, and nothing is stored', async () => {
      await expectNothingStored(h, async () => {
        const res = await h.http
          .post('/certification-profiles')
          .set('Authorization', `Bearer ${exam}`)
          .send({ profileId: '../etc/passwd', accountType: 'robot', displayName: 42, email: 'not-an-email', extra: true });
        expectProblem(res, 400, 'VALIDATION_FAILED');
        const fields = (res.body as { errors: { field: string }[] }).errors.map((e) => e.field);
        expect(new Set(fields)).toEqual(new Set(['profileId', 'accountId', 'accountType', 'displayName', 'email', 'extra']));
      });
    });

    it('VALIDATION_FAILED: a body that is not JSON is a 400 problem, not a 5xx', async () => {
      const res = await h.http
        .post('/certification-profiles')
        .set('Authorization', `Bearer ${exam}`)
        .set('Content-Type', 'application/json')
        .send('{"profileId": ');
      expectProblem(res, 400, 'VALIDATION_FAILED');
    });
  });

  describe('linking (R7, R11, R12)', () => {
    it('R11: links a learn profile of the same personal account; the same link again stores nothing', async () => {
      const p = await createProfile();
      const body = { learnProfileId: newId('learn'), accountId: p.accountId, accountType: 'personal' };
      const res = await link(p.profileId, body);
      expect(res.status).toBe(200);
      expect((res.body as { events: { type: string }[] }).events.map((e) => e.type)).toEqual([
        'LearnProfileLinkReserved',
        'ProfilesLinked',
      ]);
      await expectNothingStored(h, async () => expect((await link(p.profileId, body)).status).toBe(200));
    });

    it('R11 ACCOUNT_MISMATCH: a work account or another account is refused, storing nothing', async () => {
      const p = await createProfile();
      await expectNothingStored(h, async () => {
        expectProblem(
          await link(p.profileId, { learnProfileId: newId('learn'), accountId: p.accountId, accountType: 'work' }),
          409,
          'ACCOUNT_MISMATCH',
        );
        expectProblem(
          await link(p.profileId, { learnProfileId: newId('learn'), accountId: 'someone-else', accountType: 'personal' }),
          409,
          'ACCOUNT_MISMATCH',
        );
      });
    });

    it('R11 LEARN_PROFILE_ALREADY_LINKED and PROFILE_ALREADY_LINKED', async () => {
      const accountId = newId('acc');
      const a = await createProfile(newId(), accountId);
      const learnProfileId = newId('learn');
      expect((await link(a.profileId, { learnProfileId, accountId, accountType: 'personal' })).status).toBe(200);
      const b = await createProfile(newId(), newId('acc'));
      await expectNothingStored(h, async () => {
        expectProblem(
          await link(b.profileId, { learnProfileId, accountId: b.accountId, accountType: 'personal' }),
          409,
          'LEARN_PROFILE_ALREADY_LINKED',
        );
        expectProblem(
          await link(a.profileId, { learnProfileId: newId('learn'), accountId, accountType: 'personal' }),
          409,
          'PROFILE_ALREADY_LINKED',
        );
      });
    });

    it('R12 MULTIPLE_PROFILES_MUST_BE_MERGED, then linkable once merged; the merged-away profile answers PROFILE_MERGED', async () => {
      const accountId = newId('acc');
      const target = await createProfile(newId(), accountId);
      const source = await createProfile(newId(), accountId);
      expect((await earn(source.profileId, { certificationCode: 'azure-administrator-associate' })).status).toBe(201);
      await expectNothingStored(h, async () => {
        expectProblem(
          await link(target.profileId, { learnProfileId: newId('learn'), accountId, accountType: 'personal' }),
          409,
          'MULTIPLE_PROFILES_MUST_BE_MERGED',
        );
      });

      const merged = await h.http
        .post(`/certification-profiles/${target.profileId}/merges`)
        .set('Authorization', `Bearer ${support}`)
        .send({ sourceProfileId: source.profileId });
      expect(merged.status).toBe(200);
      const types = (merged.body as { events: { type: string }[] }).events.map((e) => e.type);
      expect(types).toEqual([
        'ProfileMergeStarted',
        'CertificationProfileClosed',
        'AccountProfileClosed',
        'HoldingMergedOut',
        'HoldingMergedIn',
        'CertificationProfilesMerged',
      ]);
      // The holding moved: the exam system now gets R6 on the target.
      expectProblem(await earn(target.profileId, { certificationCode: 'azure-administrator-associate' }), 409, 'EXAM_DOES_NOT_RENEW');
      // A repeated merge completes nothing twice.
      await expectNothingStored(h, async () => {
        const again = await h.http
          .post(`/certification-profiles/${target.profileId}/merges`)
          .set('Authorization', `Bearer ${support}`)
          .send({ sourceProfileId: source.profileId });
        expect(again.status).toBe(200);
      });
      expect((await link(target.profileId, { learnProfileId: newId('learn'), accountId, accountType: 'personal' })).status).toBe(200);
      await expectNothingStored(h, async () => {
        expectProblem(await earn(source.profileId, { certificationCode: 'azure-developer-associate' }), 409, 'PROFILE_MERGED');
        expectProblem(
          await link(source.profileId, { learnProfileId: newId('learn'), accountId, accountType: 'personal' }),
          409,
          'PROFILE_MERGED',
        );
        expectProblem(
          await attempt(source.profileId, 'azure-administrator-associate', { passed: true, language: 'en' }),
          409,
          'PROFILE_MERGED',
        );
      });
    });

    it('R12: merging a profile into itself is refused', async () => {
      const p = await createProfile();
      const res = await h.http
        .post(`/certification-profiles/${p.profileId}/merges`)
        .set('Authorization', `Bearer ${support}`)
        .send({ sourceProfileId: p.profileId });
      expectProblem(res, 400, 'VALIDATION_FAILED');
    });
  });

  describe('earning (R2, R6, R10)', () => {
    it('R2: answers 201 with holdingId and expiresAt from the policy in force at earnedAt', async () => {
      const p = await createProfile();
      const res = await earn(p.profileId, { certificationCode: 'azure-developer-associate', earnedAt: '2025-03-10T08:00:00Z' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ holdingId: `${p.profileId}.azure-developer-associate`, expiresAt: '2026-03-10T08:00:00.000Z' });
      const stored = await h.store.readStream(`holding-${p.profileId}.azure-developer-associate`);
      expect(stored[0]?.metadata.policyVersion).toBe('2021-06-30');
    });

    it('PROFILE_NOT_FOUND, UNKNOWN_CERTIFICATION, and a future earnedAt, all storing nothing', async () => {
      const p = await createProfile();
      await expectNothingStored(h, async () => {
        expectProblem(await earn('nobody', { certificationCode: 'azure-developer-associate' }), 404, 'PROFILE_NOT_FOUND');
        expectProblem(await earn(p.profileId, { certificationCode: 'cobol-grandmaster' }), 404, 'UNKNOWN_CERTIFICATION');
        expectProblem(
          await earn(p.profileId, { certificationCode: 'azure-developer-associate', earnedAt: '2026-01-02T00:00:00Z' }),
          400,
          'VALIDATION_FAILED',
        );
        expectProblem(
          await earn(p.profileId, { certificationCode: 'azure-developer-associate', earnedAt: '2025-02-30' }),
          400,
          'VALIDATION_FAILED',
        );
      });
    });

    it('R10 PREREQUISITE_NOT_MET, then earned once the associate is held', async () => {
      const p = await createProfile();
      await expectNothingStored(h, async () => {
        expectProblem(await earn(p.profileId, { certificationCode: 'azure-solutions-architect-expert' }), 409, 'PREREQUISITE_NOT_MET');
      });
      expect((await earn(p.profileId, { certificationCode: 'azure-administrator-associate' })).status).toBe(201);
      expect((await earn(p.profileId, { certificationCode: 'azure-solutions-architect-expert' })).status).toBe(201);
    });

    it('R6 EXAM_DOES_NOT_RENEW: the same exam again while active', async () => {
      const p = await createProfile();
      expect((await earn(p.profileId, { certificationCode: 'azure-administrator-associate' })).status).toBe(201);
      await expectNothingStored(h, async () => {
        const res = await earn(p.profileId, { certificationCode: 'azure-administrator-associate' });
        expectProblem(res, 409, 'EXAM_DOES_NOT_RENEW');
        expect((res.body as { detail: string }).detail).toContain('renewal assessment');
      });
    });
  });

  describe('renewal attempts (R1, R3, R5, R7, R8, R9, R13)', () => {
    it('HOLDING_NOT_FOUND and NOT_RENEWABLE', async () => {
      const p = await linkedProfile();
      expect((await earn(p.profileId, { certificationCode: 'azure-fundamentals' })).status).toBe(201);
      await expectNothingStored(h, async () => {
        expectProblem(await attempt(p.profileId, 'azure-developer-associate', { passed: true, language: 'en' }), 404, 'HOLDING_NOT_FOUND');
        expectProblem(await attempt(p.profileId, 'azure-fundamentals', { passed: true, language: 'en' }), 409, 'NOT_RENEWABLE');
        expectProblem(await attempt(p.profileId, 'no-such-cert', { passed: true, language: 'en' }), 404, 'UNKNOWN_CERTIFICATION');
      });
    });

    it('R3 WINDOW_NOT_OPEN, R7 PROFILE_NOT_LINKED, R13 LANGUAGE_NOT_OFFERED, R9 CERTIFICATION_EXPIRED', async () => {
      const unlinked = await createProfile();
      const linked = await linkedProfile();
      // The unlinked one earned 2025-06-01 (P1Y): expires 2026-06-01, window open since 2025-12-01.
      expect(
        (await earn(unlinked.profileId, { certificationCode: 'azure-administrator-associate', earnedAt: '2025-06-01T00:00:00Z' })).status,
      ).toBe(201);
      expect(
        (await earn(linked.profileId, { certificationCode: 'azure-administrator-associate', earnedAt: '2025-12-01T00:00:00Z' })).status,
      ).toBe(201);
      expect(
        (await earn(linked.profileId, { certificationCode: 'azure-virtual-desktop-specialty', earnedAt: '2025-06-01T00:00:00Z' })).status,
      ).toBe(201);
      expect(
        (await earn(linked.profileId, { certificationCode: 'azure-developer-associate', earnedAt: '2024-12-01T00:00:00Z' })).status,
      ).toBe(201);
      await expectNothingStored(h, async () => {
        const notOpen = await attempt(linked.profileId, 'azure-administrator-associate', { passed: true, language: 'en' });
        expectProblem(notOpen, 409, 'WINDOW_NOT_OPEN');
        expectProblem(
          await attempt(unlinked.profileId, 'azure-administrator-associate', { passed: true, language: 'en' }),
          409,
          'PROFILE_NOT_LINKED',
        );
        expectProblem(
          await attempt(linked.profileId, 'azure-virtual-desktop-specialty', { passed: true, language: 'de' }),
          409,
          'LANGUAGE_NOT_OFFERED',
        );
        expectProblem(
          await attempt(linked.profileId, 'azure-developer-associate', { passed: true, language: 'en' }),
          409,
          'CERTIFICATION_EXPIRED',
        );
      });
    });

    it('R5/R8: a pass renews from the current expiry; RETAKE_COOLDOWN is a 429 with Retry-After and nextAttemptAllowedAt', async () => {
      const p = await linkedProfile();
      expect(
        (await earn(p.profileId, { certificationCode: 'azure-virtual-desktop-specialty', earnedAt: '2025-06-01T00:00:00Z' })).status,
      ).toBe(201);
      const code = 'azure-virtual-desktop-specialty';
      expect((await attempt(p.profileId, code, { passed: false, score: 500, language: 'ja' })).body).toMatchObject({
        attempt: 1,
        renewed: false,
      });
      expect((await attempt(p.profileId, code, { passed: false, language: 'en' })).body).toMatchObject({ attempt: 2, renewed: false });
      await expectNothingStored(h, async () => {
        const third = await attempt(p.profileId, code, { passed: true, language: 'en' });
        expectProblem(third, 429, 'RETAKE_COOLDOWN');
        expect(third.headers['retry-after']).toBe(String(24 * 3600));
        expect(third.body).toMatchObject({ nextAttemptAllowedAt: '2026-01-02T00:00:00.000Z' });
      });
      h.clock.set(new Date('2026-01-02T00:00:00Z'));
      const pass = await attempt(p.profileId, code, { passed: true, score: 900, language: 'en' });
      expect(pass.status).toBe(201);
      expect(pass.body).toMatchObject({ attempt: 3, renewed: true, expiresAt: '2027-06-01T00:00:00.000Z' });
      const types = (pass.body as { events: { type: string }[] }).events.map((e) => e.type);
      expect(types).toEqual(['AssessmentAttempted', 'CertificationRenewed']);
    });
  });

  describe('authentication and roles', () => {
    it('401 without a token, with a bad signature, with alg none, or expired; 403 without the role', async () => {
      const body = { profileId: newId(), accountId: 'a', accountType: 'personal', displayName: 'X', email: 'x@example.com' };
      await expectNothingStored(h, async () => {
        expectProblem(await h.http.post('/certification-profiles').send(body), 401, 'UNAUTHORIZED');
        const forged = signDevelopmentToken({ sub: 'x', roles: ['exam-system'] }, 'another-secret-another-secret-another-secret');
        expectProblem(
          await h.http.post('/certification-profiles').set('Authorization', `Bearer ${forged}`).send(body),
          401,
          'UNAUTHORIZED',
        );
        const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"sub":"x","roles":["exam-system"]}').toString('base64url')}.`;
        expectProblem(await h.http.post('/certification-profiles').set('Authorization', `Bearer ${none}`).send(body), 401, 'UNAUTHORIZED');
        const expired = await signExactly({ sub: 'x', roles: ['exam-system'], exp: Math.floor(Date.now() / 1000) - 60 }, TEST_SECRET);
        expectProblem(
          await h.http.post('/certification-profiles').set('Authorization', `Bearer ${expired}`).send(body),
          401,
          'UNAUTHORIZED',
        );
        expectProblem(
          await h.http
            .post('/certification-profiles')
            .set('Authorization', `Bearer ${h.token(['candidate'])}`)
            .send(body),
          403,
          'FORBIDDEN',
        );
        expectProblem(
          await h.http.post('/certification-profiles').set('Authorization', `Bearer ${assessment}`).send(body),
          403,
          'FORBIDDEN',
        );
      });
    });

    it('a candidate links its own profile only: another candidate is refused with 403', async () => {
      const p = await createProfile();
      const learnProfileId = newId('learn');
      const account = { learnProfileId, accountId: p.accountId, accountType: 'personal' as const };
      const mine = h.token(['candidate'], { sub: 'cand-1', profileId: p.profileId, ...account });
      const other = h.token(['candidate'], { sub: 'cand-2', profileId: 'someone-else', ...account });
      await expectNothingStored(h, async () => {
        expectProblem(await link(p.profileId, { learnProfileId }, other), 403, 'FORBIDDEN');
      });
      expect((await link(p.profileId, { learnProfileId }, mine)).status).toBe(200);
    });

    it('only the exam system earns, only the assessment system attempts, only support merges', async () => {
      const p = await createProfile();
      const candidate = h.token(['candidate'], { profileId: p.profileId });
      await expectNothingStored(h, async () => {
        for (const token of [candidate, support, assessment, admin]) {
          const res = await h.http
            .post(`/certification-profiles/${p.profileId}/certifications`)
            .set('Authorization', `Bearer ${token}`)
            .send({ certificationCode: 'azure-fundamentals' });
          expectProblem(res, 403, 'FORBIDDEN');
        }
        for (const token of [candidate, exam, support]) {
          const res = await h.http
            .post(`/certification-profiles/${p.profileId}/certifications/azure-fundamentals/renewal-attempts`)
            .set('Authorization', `Bearer ${token}`)
            .send({ passed: true, language: 'en' });
          expectProblem(res, 403, 'FORBIDDEN');
        }
        for (const token of [candidate, exam, admin]) {
          const res = await h.http
            .post(`/certification-profiles/${p.profileId}/merges`)
            .set('Authorization', `Bearer ${token}`)
            .send({ sourceProfileId: 'x' });
          expectProblem(res, 403, 'FORBIDDEN');
        }
      });
    });
  });

  describe('Idempotency-Key', () => {
    it('a repeated key returns the first answer again and stores nothing', async () => {
      const p = await createProfile();
      const send = () =>
        h.http
          .post(`/certification-profiles/${p.profileId}/certifications`)
          .set('Authorization', `Bearer ${exam}`)
          .set('Idempotency-Key', `earn-${p.profileId}`)
          .send({ certificationCode: 'azure-fundamentals' });
      const first = await send();
      expect(first.status).toBe(201);
      await expectNothingStored(h, async () => {
        const again = await send();
        expect(again.status).toBe(201);
        expect(again.body).toEqual(first.body);
        expect(again.headers['idempotent-replayed']).toBe('true');
      });
    });

    it('#16.12: a refused command leaves its key free; the same key with another body answers the first answer, never 400', async () => {
      const p = await createProfile();
      const key = `k-${p.profileId}`;
      const refused = await h.http
        .post(`/certification-profiles/${p.profileId}/certifications`)
        .set('Authorization', `Bearer ${exam}`)
        .set('Idempotency-Key', key)
        .send({ certificationCode: 'azure-solutions-architect-expert' });
      expectProblem(refused, 409, 'PREREQUISITE_NOT_MET');
      const ok = await h.http
        .post(`/certification-profiles/${p.profileId}/certifications`)
        .set('Authorization', `Bearer ${exam}`)
        .set('Idempotency-Key', key)
        .send({ certificationCode: 'azure-fundamentals' });
      expect(ok.status).toBe(201);
      await expectNothingStored(h, async () => {
        const other = await h.http
          .post(`/certification-profiles/${p.profileId}/certifications`)
          .set('Authorization', `Bearer ${exam}`)
          .set('Idempotency-Key', key)
          .send({ certificationCode: 'azure-developer-associate' });
        expect(other.status).toBe(201);
        expect(other.body).toEqual(ok.body);
        expect(other.headers['idempotent-replayed']).toBe('true');
        expect(other.headers['idempotency-key-mismatch']).toBe('true');
      });
    });

    it('#16.12/#11.2: twins sent at once with one key: exactly one runs, the other waits for its answer (no 409)', async () => {
      const p = await createProfile();
      const send = () =>
        h.http
          .post(`/certification-profiles/${p.profileId}/certifications`)
          .set('Authorization', `Bearer ${exam}`)
          .set('Idempotency-Key', `twin-${p.profileId}`)
          .send({ certificationCode: 'azure-fundamentals' });
      const before = await h.store.headPosition();
      const answers = await Promise.all([send(), send(), send()]);
      expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201]);
      expect(new Set(answers.map((answer) => JSON.stringify(answer.body))).size).toBe(1);
      expect(answers.filter((answer) => answer.headers['idempotent-replayed'] === 'true')).toHaveLength(2);
      const events = (answers[0]?.body as { events: unknown[] }).events;
      expect(await h.store.headPosition()).toBe(before + events.length);
    });
  });

  describe('the manual clock', () => {
    it('moves forward only, for admins', async () => {
      const res = await h.http.post('/admin/clock').set('Authorization', `Bearer ${admin}`).send({ now: '2026-06-01T00:00:00Z' });
      expect(res.status).toBe(200);
      expectProblem(
        await h.http.post('/admin/clock').set('Authorization', `Bearer ${admin}`).send({ now: '2026-05-01T00:00:00Z' }),
        400,
        'VALIDATION_FAILED',
      );
      expectProblem(
        await h.http.post('/admin/clock').set('Authorization', `Bearer ${exam}`).send({ now: '2026-07-01T00:00:00Z' }),
        403,
        'FORBIDDEN',
      );
      expect(h.clock.now().toISOString()).toBe('2026-06-01T00:00:00.000Z');
    });

    it('#16.15: a restart on the same DATA_DIR finds the clock where it was moved, never behind it', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'recert-clock-'));
      let app: Harness | undefined = await startApp({ clockStart: '2026-01-01T00:00:00Z', dataDir });
      const restart = async (clockStart: string): Promise<Harness> => {
        await app?.close();
        app = undefined;
        app = await startApp({ clockStart, dataDir });
        return app;
      };
      try {
        const token = `Bearer ${app.token(['admin'])}`;
        await app.http.post('/admin/clock').set('Authorization', token).send({ now: '2026-09-01T12:00:00Z' }).expect(200);
        app = await restart('2026-01-01T00:00:00Z');
        expect(app.clock.now().toISOString()).toBe('2026-09-01T12:00:00.000Z');
        // Decisions and refusals go on from there: earning defaults to the restored now, and the clock still never goes back.
        await seedProfile(app, 'clk-1', { earn: [{ code: 'azure-developer-associate' }] });
        const dash = await app.http
          .get(`/certification-profiles/clk-1/dashboard?consistentWith=${await app.store.headPosition()}`)
          .set('Authorization', `Bearer ${app.token(['support'])}`);
        expect((dash.body as { certifications: { expiresAt: string }[] }).certifications[0]?.expiresAt).toBe('2027-09-01T12:00:00.000Z');
        expectProblem(
          await app.http
            .post('/admin/clock')
            .set('Authorization', `Bearer ${app.token(['admin'])}`)
            .send({ now: '2026-08-01T00:00:00Z' }),
          400,
          'VALIDATION_FAILED',
        );
        // A CLOCK_START later than the saved instant wins: the clock only moves forward.
        app = await restart('2027-01-01T00:00:00Z');
        expect(app.clock.now().toISOString()).toBe('2027-01-01T00:00:00.000Z');
        await app.close();
        app = undefined;
        // A damaged clock file stops start-up rather than silently starting the simulation over.
        writeFileSync(join(dataDir, 'manual-clock.json'), 'not json');
        await expect(startApp({ clockStart: '2026-01-01T00:00:00Z', dataDir })).rejects.toThrow(
          /manual-clock\.json does not hold a saved instant/,
        );
      } finally {
        await app?.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    }, 120_000);
  });
});
