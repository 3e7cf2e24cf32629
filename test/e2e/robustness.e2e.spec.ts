import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectNothingStored, Harness, seedProfile, startApp } from '../support/harness';

type Answer = { attempt: number; renewed: boolean; expiresAt: string | null; events: { id: string; type: string }[]; position: number };

/** Round-two robustness findings of issue #16, each through the real HTTP stack. */
describe('#16 robustness', () => {
  let h: Harness;
  const attempt = (profileId: string, body: Record<string, unknown>) =>
    h.http
      .post(`/certification-profiles/${profileId}/certifications/azure-administrator-associate/renewal-attempts`)
      .set('Authorization', `Bearer ${h.token(['assessment-system'])}`)
      .send(body);

  beforeAll(async () => {
    h = await startApp({ clockStart: '2026-06-01T00:00:00Z' });
    for (const id of ['rb-1', 'rb-2', 'rb-3', 'rb-4', 'rb-5']) {
      await seedProfile(h, id, { linked: true, earn: [{ code: 'azure-administrator-associate', earnedAt: '2025-07-01T00:00:00Z' }] });
    }
  }, 60_000);
  afterAll(async () => h.close());

  it('#16.18 R8: a passed attempt repeated with the same attemptId and no Idempotency-Key answers the stored attempt', async () => {
    const first = await attempt('rb-1', { passed: true, language: 'en', attemptId: 'exam-run-1' });
    expect(first.status).toBe(201);
    const stored = first.body as Answer;
    expect(stored).toMatchObject({ attempt: 1, renewed: true });
    await expectNothingStored(h, async () => {
      const again = await attempt('rb-1', { passed: true, language: 'en', attemptId: 'exam-run-1' });
      expect(again.status).toBe(201);
      expect(again.body).toEqual(stored);
    });
  });

  it('#16.13: recordedAt in a command answer is the stored value', async () => {
    const res = await attempt('rb-3', { passed: false, language: 'en', attemptId: 'exam-run-0' });
    const answered = (res.body as { events: { id: string; stream: string; recordedAt: string }[] }).events;
    expect(answered.length).toBeGreaterThan(0);
    for (const event of answered) {
      const stored = (await h.store.readStream(event.stream)).find((e) => e.id === event.id);
      expect(event.recordedAt).toBe(stored?.recordedAt);
    }
  });

  it('#16.14 R13: language tags compare as BCP 47 does, case-insensitively (EN, zh-hans)', async () => {
    expect((await attempt('rb-4', { passed: true, language: 'EN' })).status).toBe(201);
    expect((await attempt('rb-5', { passed: true, language: 'zh-hans' })).status).toBe(201);
  });

  it('#16.18 R8: a failed attempt repeated likewise answers the stored one; a new attemptId is a new attempt', async () => {
    const first = await attempt('rb-2', { passed: false, language: 'en', attemptId: 'exam-run-2' });
    expect(first.status).toBe(201);
    await expectNothingStored(h, async () => {
      const again = await attempt('rb-2', { passed: false, language: 'en', attemptId: 'exam-run-2' });
      expect(again.body).toEqual(first.body);
    });
    const next = await attempt('rb-2', { passed: false, language: 'en', attemptId: 'exam-run-3' });
    expect(next.body).toMatchObject({ attempt: (first.body as Answer).attempt + 1 });
  });
});

describe('#16.13 error codes outside the contract table', () => {
  it('#16.13: every code the HTTP edge answers is in docs/ERRORS.md and in OpenAPI; a non-JSON body is a 4xx', async () => {
    const h = await startApp();
    try {
      const docs = readFileSync(join(__dirname, '..', '..', 'docs', 'ERRORS.md'), 'utf8');
      const filter = readFileSync(join(__dirname, '..', '..', 'libs', 'http', 'src', 'problem.filter.ts'), 'utf8');
      const answered = [...filter.matchAll(/code: '([A-Z_]+)'/g)].map((m) => m[1] as string).filter((code) => code !== 'VALIDATION_FAILED');
      expect(answered).toEqual(expect.arrayContaining(['UNSUPPORTED_MEDIA_TYPE', 'INTERNAL']));
      const openapi = (await h.http.get('/docs/openapi.json')).body as {
        components: { schemas: { Problem: { properties: { code: { enum: string[] } } } } };
      };
      for (const code of [...new Set(answered)]) {
        expect({ code, documented: docs.includes(`\`${code}\``) }).toEqual({ code, documented: true });
        expect(openapi.components.schemas.Problem.properties.code.enum).toContain(code);
      }
      const res = await h.http
        .post('/certification-profiles')
        .set('Authorization', `Bearer ${h.token(['exam-system'])}`)
        .set('Content-Type', 'text/plain')
        .send('hello');
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    } finally {
      await h.close();
    }
  });
});
