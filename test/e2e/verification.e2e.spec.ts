import request from 'supertest';
import { eventually, expectNothingStored, expectProblem, Harness, seedProfile, startApp } from '../support/harness';

// A loaded machine: no test here may fail on time (hooks and tests wait for conditions, not moments).
jest.setTimeout(60_000);

const AA = 'azure-administrator-associate';
const BASE = 'https://certs.example.org';
type Cert = { code: string; verificationUrl: string | null; verificationPrivate: boolean };

/** #13 item 2 through HTTP: public verification (R19, R20). */
describe('public verification over HTTP', () => {
  let h: Harness;
  const bearer = (roles: Parameters<Harness['token']>[0], profileId?: string): string =>
    `Bearer ${h.token(roles, profileId ? { profileId } : {})}`;
  const certOf = async (profileId: string): Promise<Cert> => {
    const res = await h.http.get(`/certification-profiles/${profileId}/dashboard`).set('Authorization', bearer(['support']));
    expect(res.status).toBe(200);
    return (res.body as { certifications: Cert[] }).certifications.find((c) => c.code === AA) as Cert;
  };
  const idOf = async (profileId: string): Promise<string> => {
    const cert = await eventually(
      () => certOf(profileId),
      (c) => c?.verificationUrl !== null && c !== undefined,
    );
    return (cert.verificationUrl as string).split('/').pop() as string;
  };
  const verify = (id: string, accept = 'application/json'): Promise<request.Response> => h.http.get(`/verify/${id}`).set('Accept', accept);
  const verifyUntil = (id: string, done: (res: request.Response) => boolean): Promise<request.Response> =>
    eventually(() => verify(id), done);
  const statusIs = (status: string) => (res: request.Response) => res.status === 200 && (res.body as { status?: string }).status === status;

  beforeAll(async () => {
    h = await startApp({
      clockStart: '2026-01-01T00:00:00Z',
      env: { PUBLIC_BASE_URL: `${BASE}/`, ISSUER_NAME: 'Example Certification Board' },
    });
    await seedProfile(h, 'vf-1', { linked: true, displayName: 'Katherine Johnson', earn: [{ code: AA }] });
    await seedProfile(h, 'vf-2', { linked: true, displayName: 'Dorothy Vaughan', earn: [{ code: AA }, { code: 'azure-fundamentals' }] });
  }, 60_000);
  afterAll(async () => h.close());

  it('R19: every holding gets an unguessable verification id (128 bits base64url) and the dashboard an absolute verificationUrl', async () => {
    const cert = await eventually(
      () => certOf('vf-1'),
      (c) => c?.verificationUrl !== null,
    );
    expect(cert.verificationUrl).toMatch(new RegExp(`^${BASE}/verify/[A-Za-z0-9_-]{22}$`));
    expect(cert.verificationPrivate).toBe(false);
    const ids = [await idOf('vf-1'), await idOf('vf-2')];
    expect(new Set(ids).size).toBe(2);
    // Not derived from the holder or the holding: neither id spells the profile id or the certification code. (A
    // pattern as short as /vf/i matched a random id about once in 25 runs: 128 random bits spell two letters often.)
    for (const id of ids) for (const part of ['vf-1', 'vf-2', 'azure-administrator']) expect(id.includes(part)).toBe(false);
  });

  it('R20: GET /verify/{id} without a token answers JSON: certification, holder, status, dates, did:web issuer, asOf', async () => {
    const id = await idOf('vf-1');
    const res = await verifyUntil(id, (r) => r.status === 200);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      verificationId: id,
      certification: { code: AA, name: 'Microsoft Certified: Azure Administrator Associate', level: 'associate' },
      holder: { displayName: 'Katherine Johnson' },
      status: 'active',
      earnedAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2027-01-01T00:00:00.000Z',
      issuer: { id: 'did:web:certs.example.org', type: ['Profile'], name: 'Example Certification Board', url: BASE },
      asOf: '2026-01-01T00:00:00.000Z',
    });
  });

  it('R20: a browser gets an HTML page with the status and "as of"', async () => {
    const res = await verify(await idOf('vf-1'), 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('Katherine Johnson');
    expect(res.text).toContain('as of');
    expect(res.text).toContain('data-testid="status">Valid<');
  });

  it('R19: unknown, malformed, rotated-away and private ids answer the very same 404 (no enumeration)', async () => {
    const unknown = await verify('AAAAAAAAAAAAAAAAAAAAAA');
    const malformed = await verify('..%2F..%2Fetc');
    expectProblem(unknown, 404, 'VERIFICATION_NOT_FOUND');
    expect(malformed.status).toBe(404);
    expect(malformed.text).toBe(unknown.text);

    const id = await idOf('vf-2');
    const candidate = bearer(['candidate'], 'vf-2');
    const priv = await h.http
      .post(`/certification-profiles/vf-2/certifications/${AA}/verification-visibility`)
      .set('Authorization', candidate)
      .send({ visibility: 'private' });
    expect(priv.status).toBe(200);
    const hidden = await verifyUntil(id, (r) => r.status === 404);
    expect(hidden.text).toBe(unknown.text);
    expect((await certOf('vf-2')).verificationPrivate).toBe(true);
    await h.http
      .post(`/certification-profiles/vf-2/certifications/${AA}/verification-visibility`)
      .set('Authorization', candidate)
      .send({ visibility: 'public' })
      .expect(200);
    expect((await verifyUntil(id, (r) => r.status === 200)).status).toBe(200);
  });

  it('R19: the holder rotates an id: the old link answers 404 at once, the new one works', async () => {
    const old = await idOf('vf-2');
    const res = await h.http
      .post(`/certification-profiles/vf-2/certifications/${AA}/verification-id-rotation`)
      .set('Authorization', bearer(['candidate'], 'vf-2'));
    expect(res.status).toBe(200);
    const fresh = (res.body as { verificationId: string }).verificationId;
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(fresh).not.toBe(old);
    expect((await verifyUntil(fresh, (r) => r.status === 200)).status).toBe(200);
    expect((await verify(old)).status).toBe(404);
  });

  it("R19: another candidate may not rotate or hide a holder's verification (403, nothing stored); bad visibility is 400", async () => {
    await expectNothingStored(h, async () => {
      const other = bearer(['candidate'], 'vf-1');
      expect(
        (await h.http.post(`/certification-profiles/vf-2/certifications/${AA}/verification-id-rotation`).set('Authorization', other))
          .status,
      ).toBe(403);
      expect(
        (
          await h.http
            .post(`/certification-profiles/vf-2/certifications/${AA}/verification-visibility`)
            .set('Authorization', other)
            .send({ visibility: 'private' })
        ).status,
      ).toBe(403);
      expectProblem(
        await h.http
          .post(`/certification-profiles/vf-2/certifications/${AA}/verification-visibility`)
          .set('Authorization', bearer(['support']))
          .send({ visibility: 'hidden' }),
        400,
        'VALIDATION_FAILED',
      );
    });
  });

  it('R20: a revocation shows at once, as revoked and never with its reason; a suspension as suspended', async () => {
    const id = await idOf('vf-1');
    const admin = bearer(['admin']);
    await h.http
      .post(`/certification-profiles/vf-1/certifications/${AA}/suspension`)
      .set('Authorization', admin)
      .send({ reason: 'secret internal matter' })
      .expect(200);
    expect((await verifyUntil(id, statusIs('suspended'))).body).toMatchObject({ status: 'suspended' });
    await h.http
      .post(`/certification-profiles/vf-1/certifications/${AA}/revocation`)
      .set('Authorization', admin)
      .send({ reason: 'secret internal matter' })
      .expect(200);
    const json = await verifyUntil(id, statusIs('revoked'));
    expect(json.body).toMatchObject({ status: 'revoked' });
    expect(json.text).not.toContain('secret');
    const html = await verify(id, 'text/html');
    expect(html.text).toContain('was revoked');
    expect(html.text).not.toContain('secret');
  });

  it('R20: a renewal and an expiry show at once: status computed with the clock at read time', async () => {
    const id = await idOf('vf-2');
    h.clock.set(new Date('2026-08-01T00:00:00Z'));
    await h.http
      .post(`/certification-profiles/vf-2/certifications/${AA}/renewal-attempts`)
      .set('Authorization', bearer(['assessment-system']))
      .send({ passed: true, language: 'en' })
      .expect(201);
    const renewed = await verifyUntil(id, (r) => (r.body as { expiresAt?: string }).expiresAt === '2028-01-01T00:00:00.000Z');
    expect(renewed.body).toMatchObject({ status: 'active', expiresAt: '2028-01-01T00:00:00.000Z', asOf: '2026-08-01T00:00:00.000Z' });
    h.clock.set(new Date('2028-01-01T00:00:00Z'));
    expect((await verify(id)).body).toMatchObject({ status: 'expired' });
  });

  it('R19: after personal-data erasure the verification shows no name', async () => {
    const id = await idOf('vf-2');
    await h.http
      .post('/certification-profiles/vf-2/personal-data-erasure')
      .set('Authorization', bearer(['support']))
      .send({ reason: 'GDPR art. 17 request' })
      .expect(200);
    const res = await verify(id);
    expect(res.body).toMatchObject({ holder: { displayName: null } });
    const html = await verify(id, 'text/html');
    expect(html.text).not.toContain('Dorothy');
  });

  it('R19: the verification endpoint is rate-limited per address', async () => {
    const limited = await startApp({ env: { RATE_LIMIT_PER_MINUTE: '3' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 10; i += 1) statuses.push((await limited.http.get('/verify/AAAAAAAAAAAAAAAAAAAAAA')).status);
      expect(statuses).toContain(429);
    } finally {
      await limited.close();
    }
  }, 60_000);
});
