import { SignJWT } from 'jose';
import { expectNothingStored, expectProblem, Harness, startApp } from '../support/harness';
import { AUDIENCE, listenOidcProvider, OidcProvider } from '../support/oidc-provider';

/**
 * Tokens of a real OpenID Connect provider (oidc-provider, in this process on loopback) against recert configured
 * with OIDC_ISSUER and OIDC_AUDIENCE, and AUTH_JWT_SECRET too (both may be set): R65-R68, ADR 0015.
 */
describe('OpenID Connect tokens (R65-R68)', () => {
  let idp: OidcProvider;
  let h: Harness;
  const bearer = (token: string): string => `Bearer ${token}`;
  const profile = (profileId: string, accountId: string) => ({
    profileId,
    accountId,
    accountType: 'personal',
    displayName: profileId,
    email: `${profileId}@example.com`,
  });

  beforeAll(async () => {
    idp = await listenOidcProvider();
    await idp.configure([]);
    h = await startApp({
      env: { OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: AUDIENCE, OIDC_JWKS_COOLDOWN_MS: '0' },
    });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await idp?.close();
  }, 60_000);

  it('R65 R67: a system token from client credentials (ES256) creates a profile; the event names issuer#client', async () => {
    const exam = await idp.clientCredentialsToken('exam-system');
    const created = await h.http.post('/certification-profiles').set('Authorization', bearer(exam)).send(profile('oidc-1', 'acc-ann'));
    expect(created.status).toBe(201);
    const [event] = await h.store.readStream('profile-oidc-1');
    expect(event?.metadata.actor).toBe(`${idp.issuer}#exam-system`);
  });

  it('R69: without OIDC_CLIENT_ID the pages stay in development mode (GET /auth/config)', async () => {
    expect((await h.http.get('/auth/config').expect(200)).body).toEqual({ mode: 'development' });
  });

  it('R65: RS256 and EdDSA tokens of the issuer are accepted too', async () => {
    for (const alg of ['RS256', 'EdDSA'] as const) {
      const token = await idp.sign({ sub: `support-${alg}`, roles: ['support'] }, { alg });
      expect((await h.http.get('/certification-profiles/oidc-1/history').set('Authorization', bearer(token))).status).toBe(200);
    }
  });

  it('R65: exp, nbf and iat are checked with a small tolerance (60 s): 30 s past exp still passes', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await idp.sign({ sub: 'support-late', roles: ['support'], iat: now - 600, exp: now - 30 });
    expect((await h.http.get('/certification-profiles/oidc-1/history').set('Authorization', bearer(token))).status).toBe(200);
  });

  describe('R65: refused with 401, nothing stored', () => {
    const now = (): number => Math.floor(Date.now() / 1000);
    const cases: [string, () => Promise<string>][] = [
      ['a wrong audience', () => idp.sign({ sub: 'exam', roles: ['exam-system'], aud: 'urn:another:api' })],
      ['a wrong issuer (signed with the issuer key)', () => idp.sign({ sub: 'exam', roles: ['exam-system'], iss: 'http://127.0.0.1:9/' })],
      ['an issuer spelled otherwise (trailing slash)', () => idp.sign({ sub: 'exam', roles: ['exam-system'], iss: `${idp.issuer}/` })],
      ['expired beyond the tolerance', () => idp.sign({ sub: 'exam', roles: ['exam-system'], iat: now() - 900, exp: now() - 120 })],
      ['not valid before an hour from now', () => idp.sign({ sub: 'exam', roles: ['exam-system'], nbf: now() + 3600 })],
      ['issued in the future', () => idp.sign({ sub: 'exam', roles: ['exam-system'], iat: now() + 3600, exp: now() + 7200 })],
      ['no exp', () => idp.sign({ sub: 'exam', roles: ['exam-system'], exp: undefined })],
      [
        'alg confusion: HS256 signed with the issuer public key',
        async () =>
          new SignJWT({ iss: idp.issuer, aud: AUDIENCE, sub: 'exam', roles: ['exam-system'], iat: now(), exp: now() + 600 })
            .setProtectedHeader({ alg: 'HS256' })
            .sign(new TextEncoder().encode(await idp.publicKeyPem())),
      ],
      [
        'alg none',
        () => {
          const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
          const claims = { iss: idp.issuer, aud: AUDIENCE, sub: 'exam', roles: ['exam-system'], iat: now(), exp: now() + 600 };
          return Promise.resolve(`${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`);
        },
      ],
      ['a sub that is not a string', () => idp.sign({ sub: 42 as unknown as string, roles: ['exam-system'] })],
      ['roles that are an object, and no account claim', () => idp.sign({ sub: '', roles: { admin: true } })],
      [
        'a kid that is an object, signed by another key',
        async () => {
          const { generateKeyPair } = await import('jose');
          const { privateKey } = await generateKeyPair('RS256');
          return new SignJWT({ iss: idp.issuer, aud: AUDIENCE, sub: 'exam', roles: ['exam-system'], iat: now(), exp: now() + 600 })
            .setProtectedHeader({ alg: 'RS256', kid: { $ne: '' } as unknown as string })
            .sign(privateKey);
        },
      ],
      [
        'claims that are an array',
        () => {
          const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
          return Promise.resolve(`${part({ alg: 'RS256', kid: 'x' })}.${part([idp.issuer])}.c2ln`);
        },
      ],
      [
        'a key the issuer never published (its own kid)',
        async () => {
          const { generateKeyPair } = await import('jose');
          const { privateKey } = await generateKeyPair('ES256');
          return new SignJWT({ iss: idp.issuer, aud: AUDIENCE, sub: 'exam', roles: ['exam-system'], iat: now(), exp: now() + 600 })
            .setProtectedHeader({ alg: 'ES256', kid: 'attacker-kid' })
            .sign(privateKey);
        },
      ],
    ];
    it.each(cases)('R65: %s', async (_label, make) => {
      const token = await make();
      await expectNothingStored(h, async () => {
        const answer = await h.http.post('/certification-profiles').set('Authorization', bearer(token)).send(profile('oidc-x', 'acc-x'));
        expectProblem(answer, 401, 'UNAUTHORIZED');
      });
    });
  });

  it('R65: after the provider rotates its keys, a token with the new kid verifies (the key set is fetched again)', async () => {
    const before = await idp.clientCredentialsToken('exam-system');
    expect((await h.http.get('/certification-profiles/oidc-1/history').set('Authorization', bearer(before))).status).toBe(403);
    await idp.rotateKeys();
    const after = await idp.clientCredentialsToken('exam-system');
    const kid = (token: string): unknown =>
      (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { kid?: string }).kid;
    expect(kid(after)).not.toBe(kid(before));
    const created = await h.http.post('/certification-profiles').set('Authorization', bearer(after)).send(profile('oidc-2', 'acc-bo'));
    expect(created.status).toBe(201);
  });

  it('R66 red team: an exam-system token from client credentials cannot act as admin or support', async () => {
    const exam = bearer(await idp.clientCredentialsToken('exam-system'));
    await expectNothingStored(h, async () => {
      const attempts = [
        h.http
          .post('/admin/override-requests')
          .set('Authorization', exam)
          .send({
            kind: 'extend-expiry',
            target: { profileId: 'oidc-1', certificationCode: 'azure-administrator-associate' },
            params: { by: 'P1M' },
            reason: 'r',
          }),
        h.http.post('/certification-profiles/oidc-1/merges').set('Authorization', exam).send({ sourceProfileId: 'oidc-2' }),
        h.http
          .post('/certification-profiles/oidc-1/learn-profile-link')
          .set('Authorization', exam)
          .send({ learnProfileId: 'l-1', accountId: 'acc-ann', accountType: 'personal', reason: 'r' }),
        h.http.post('/admin/scheduler/run').set('Authorization', exam),
        h.http.get('/reports/summary').set('Authorization', exam),
        h.http.get('/certification-profiles/oidc-1/dashboard').set('Authorization', exam),
        h.http.get('/me/profiles').set('Authorization', exam),
      ];
      for (const answer of await Promise.all(attempts)) expectProblem(answer, 403, 'FORBIDDEN');
    });
    // Its roles cannot be raised by editing the claims: the signature no longer verifies.
    const [head, , signature] = (await idp.clientCredentialsToken('exam-system')).split('.');
    const raised = Buffer.from(
      JSON.stringify({ iss: idp.issuer, aud: AUDIENCE, sub: 'exam-system', roles: ['admin'], exp: 9e9, iat: 1 }),
    ).toString('base64url');
    expectProblem(await h.http.get('/reports/summary').set('Authorization', bearer(`${head}.${raised}.${signature}`)), 401, 'UNAUTHORIZED');
  });

  it('R66: a system token without a role is nobody: not a holder (sub = client_id)', async () => {
    const none = bearer(await idp.clientCredentialsToken('no-role-system'));
    expectProblem(await h.http.get('/me/profiles').set('Authorization', none), 403, 'FORBIDDEN');
  });

  it("R68 R12: a holder reaches exactly its account's profiles, lists both of them, and not another account's", async () => {
    const exam = bearer(await idp.clientCredentialsToken('exam-system'));
    await h.http.post('/certification-profiles').set('Authorization', exam).send(profile('oidc-ann-2', 'acc-ann')).expect(201);
    // A person with no recert role is a holder; a profileId claim is never read from an issuer token.
    const ann = bearer(await idp.sign({ sub: 'acc-ann', profileId: 'oidc-2' }));
    const mine = await h.http.get('/me/profiles').set('Authorization', ann);
    expect(mine.body).toEqual({ accountId: 'acc-ann', profiles: [{ profileId: 'oidc-1' }, { profileId: 'oidc-ann-2' }], mustMerge: true });
    expect((await h.http.get('/certification-profiles/oidc-1/dashboard').set('Authorization', ann)).status).toBe(200);
    expect((await h.http.get('/certification-profiles/oidc-ann-2/history').set('Authorization', ann)).status).toBe(200);
    for (const path of [
      '/certification-profiles/oidc-2/dashboard',
      '/certification-profiles/oidc-2/history',
      '/certification-profiles/nobody/dashboard',
    ])
      expectProblem(await h.http.get(path).set('Authorization', ann), 403, 'FORBIDDEN');
  });

  it("R68 R11: a holder links a learn profile to its own profile, proven by its account; another account's is refused", async () => {
    const exam = bearer(await idp.clientCredentialsToken('exam-system'));
    await h.http.post('/certification-profiles').set('Authorization', exam).send(profile('oidc-dee', 'acc-dee')).expect(201);
    // The learning site's claims come from the provider, as API.md's linking rules say; the account is the account claim.
    const dee = bearer(await idp.sign({ sub: 'acc-dee', learnProfileId: 'learn-dee', accountType: 'personal' }));
    await expectNothingStored(h, async () => {
      const other = await h.http
        .post('/certification-profiles/oidc-1/learn-profile-link')
        .set('Authorization', dee)
        .send({ learnProfileId: 'learn-dee' });
      expectProblem(other, 403, 'FORBIDDEN');
    });
    const linked = await h.http
      .post('/certification-profiles/oidc-dee/learn-profile-link')
      .set('Authorization', dee)
      .send({ learnProfileId: 'learn-dee' });
    expect(linked.status).toBe(200);
    const events = await h.store.readStream('profile-oidc-dee');
    expect(events.map((e) => [e.type, e.metadata.actor])).toContainEqual(['ProfilesLinked', `${idp.issuer}#acc-dee`]);
  });

  it("R68: a development (HS256) holder token with an account and no profileId reaches that account's profiles too", async () => {
    const ann = `Bearer ${h.token(['candidate'], { accountId: 'acc-ann' })}`;
    expect((await h.http.get('/me/profiles').set('Authorization', ann)).body).toMatchObject({ accountId: 'acc-ann', mustMerge: true });
    expect((await h.http.get('/certification-profiles/oidc-1/dashboard').set('Authorization', ann)).status).toBe(200);
    expectProblem(await h.http.get('/certification-profiles/oidc-2/dashboard').set('Authorization', ann), 403, 'FORBIDDEN');
  });

  it('R68: OIDC_ACCOUNT_CLAIM names another claim; a holder without it is refused', async () => {
    const other = await startApp({
      env: { OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: AUDIENCE, OIDC_ACCOUNT_CLAIM: 'ext.account', OIDC_ROLES_CLAIM: 'realm_access.roles' },
    });
    try {
      const exam = bearer(await idp.sign({ sub: 'svc', realm_access: { roles: ['exam-system', 'offline_access'] } }));
      await other.http.post('/certification-profiles').set('Authorization', exam).send(profile('claim-1', 'acc-cy')).expect(201);
      const cy = bearer(await idp.sign({ sub: 'person-77', ext: { account: 'acc-cy' } }));
      expect((await other.http.get('/me/profiles').set('Authorization', cy)).body).toMatchObject({ profiles: [{ profileId: 'claim-1' }] });
      expectProblem(
        await other.http.get('/me/profiles').set('Authorization', bearer(await idp.sign({ sub: 'acc-cy' }))),
        401,
        'UNAUTHORIZED',
      );
    } finally {
      await other.close();
    }
  }, 60_000);

  it('R65: an issuer that cannot be reached makes a 503 (the token may be good), not a 401 nor a 500', async () => {
    // A loopback port nobody listens on: the one this spec's own server had before it closed.
    const gone = await listenOidcProvider();
    const issuer = gone.issuer;
    const token = await gone.sign({ sub: 'exam', roles: ['exam-system'] });
    await gone.close();
    const other = await startApp({ env: { OIDC_ISSUER: issuer, OIDC_AUDIENCE: AUDIENCE, OIDC_CLIENT_ID: 'pages' } });
    try {
      await expectNothingStored(other, async () => {
        const answer = await other.http
          .post('/certification-profiles')
          .set('Authorization', bearer(token))
          .send(profile('gone-1', 'acc-g'));
        expectProblem(answer, 503, 'SERVICE_UNAVAILABLE');
        expect(answer.headers['retry-after']).toBeDefined();
      });
      expectProblem(await other.http.get('/auth/config'), 503, 'SERVICE_UNAVAILABLE');
    } finally {
      await other.close();
    }
  }, 60_000);

  it('R67: four eyes compares issuer#sub: the same person with a second token cannot approve, another admin can', async () => {
    const exam = bearer(await idp.clientCredentialsToken('exam-system'));
    await h.http
      .post('/certification-profiles/oidc-1/certifications')
      .set('Authorization', exam)
      .send({ certificationCode: 'azure-administrator-associate' })
      .expect(201);
    const admin = async (sub: string): Promise<string> => bearer(await idp.sign({ sub, roles: ['admin'], jti: `${sub}-${Math.random()}` }));
    const request = await h.http
      .post('/admin/override-requests')
      .set('Authorization', await admin('ops-ann'))
      .send({
        kind: 'extend-expiry',
        target: { profileId: 'oidc-1', certificationCode: 'azure-administrator-associate' },
        params: { by: 'P1M' },
        reason: 'Outage 12',
      });
    expect(request.status).toBe(201);
    const id = (request.body as { id: string }).id;
    expectProblem(
      await h.http
        .post(`/admin/override-requests/${id}/approve`)
        .set('Authorization', await admin('ops-ann'))
        .send({}),
      403,
      'FORBIDDEN',
    );
    expect(
      (
        await h.http
          .post(`/admin/override-requests/${id}/approve`)
          .set('Authorization', await admin('ops-bo'))
          .send({})
      ).status,
    ).toBe(200);
  });
});
