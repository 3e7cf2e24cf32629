import fc from 'fast-check';
import type { Response } from 'supertest';
import { Harness, startApp, TEST_SECRET } from '../support/harness';
import { signDevelopmentToken } from '@recert/kernel';
import { signExactly } from '../support/tokens';

/**
 * Hostile input at every endpoint (property-based): malformed and oversized bodies, wrong types, unknown fields,
 * huge strings, bad dates, path injection and invalid tokens. Whatever comes in: never a 5xx, errors are always
 * problem+json with a code, and a refused request leaves the log as it was.
 */
type Method = 'get' | 'post';
interface Endpoint {
  method: Method;
  path: (id: string, code: string) => string;
  roles: Parameters<Harness['token']>[0];
  query?: string[];
}

const ENDPOINTS: Endpoint[] = [
  { method: 'post', path: () => '/certification-profiles', roles: ['exam-system'] },
  { method: 'post', path: (id) => `/certification-profiles/${id}/learn-profile-link`, roles: ['support'] },
  { method: 'post', path: (id) => `/certification-profiles/${id}/merges`, roles: ['support'] },
  { method: 'post', path: (id) => `/certification-profiles/${id}/certifications`, roles: ['exam-system'] },
  {
    method: 'post',
    path: (id, code) => `/certification-profiles/${id}/certifications/${code}/renewal-attempts`,
    roles: ['assessment-system'],
  },
  { method: 'post', path: () => '/admin/policies', roles: ['admin'] },
  { method: 'post', path: (id) => `/admin/policies/${id}/withdrawal`, roles: ['admin'] },
  { method: 'post', path: () => '/admin/policy-replays', roles: ['admin'] },
  { method: 'post', path: () => '/admin/clock', roles: ['admin'] },
  { method: 'get', path: (id) => `/certification-profiles/${id}/dashboard`, roles: ['support'], query: ['consistentWith'] },
  {
    method: 'get',
    path: (id) => `/certification-profiles/${id}/history`,
    roles: ['support'],
    query: ['consistentWith', 'limit', 'cursor'],
  },
  { method: 'get', path: () => '/reports/summary', roles: ['admin'], query: ['consistentWith'] },
  { method: 'get', path: () => '/reports/expiring', roles: ['admin'], query: ['withinDays', 'page', 'pageSize'] },
  { method: 'get', path: () => '/audit/export', roles: ['admin'], query: ['from', 'to'] },
  // #27 (R97-R100), #23.4 (R110)
  { method: 'get', path: () => '/reports/roster', roles: ['admin'], query: ['q', 'status', 'certification', 'sort', 'page', 'pageSize'] },
  { method: 'get', path: () => '/reports/roster.csv', roles: ['admin'], query: ['q', 'status', 'certification'] },
  { method: 'get', path: () => '/admin/policy-replays/latest', roles: ['admin'], query: ['page', 'pageSize', 'limit', 'cursor'] },
  { method: 'post', path: (id) => `/admin/webhooks/${id}/enable`, roles: ['admin'] },
  { method: 'get', path: (id) => `/admin/policy-replays/${id}`, roles: ['admin'], query: ['limit', 'cursor'] },
  // #13 (the public /verify and status lists need no token: their hostile ids are in verification/credentials specs).
  { method: 'post', path: (id, code) => `/certification-profiles/${id}/certifications/${code}/revocation`, roles: ['admin'] },
  { method: 'post', path: (id, code) => `/certification-profiles/${id}/certifications/${code}/suspension`, roles: ['admin'] },
  { method: 'post', path: (id, code) => `/certification-profiles/${id}/certifications/${code}/reinstatement`, roles: ['admin'] },
  {
    method: 'post',
    path: (id, code) => `/certification-profiles/${id}/certifications/${code}/verification-id-rotation`,
    roles: ['support'],
  },
  {
    method: 'post',
    path: (id, code) => `/certification-profiles/${id}/certifications/${code}/verification-visibility`,
    roles: ['support'],
  },
  {
    method: 'get',
    path: (id, code) => `/certification-profiles/${id}/certifications/${code}/credential`,
    roles: ['support'],
    query: ['consistentWith', 'download'],
  },
  // #13.4
  {
    method: 'get',
    path: (id, code) => `/certification-profiles/${id}/certifications/${code}/certificate.pdf`,
    roles: ['support'],
    query: ['consistentWith', 'download'],
  },
  // #14.5
  { method: 'post', path: () => '/admin/webhooks', roles: ['admin'] },
  { method: 'get', path: (id) => `/admin/webhooks/${id}`, roles: ['admin'] },
  { method: 'post', path: (id) => `/admin/webhooks/${id}/disable`, roles: ['admin'] },
  { method: 'get', path: (id) => `/admin/webhooks/${id}/deliveries`, roles: ['admin'], query: ['limit'] },
  { method: 'post', path: (id, code) => `/admin/webhooks/${id}/deliveries/${code}/redeliver`, roles: ['admin'] },
];

const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '',
    ' ',
    '..',
    '../../etc/passwd',
    '%00',
    '\u0000',
    'a/b',
    '%2F',
    '${jndi:ldap://x}',
    "' OR 1=1 --",
    '<script>',
    '2026-02-30T00:00:00Z',
    '9999-99-99',
    'NaN',
    '-1',
    '1e400',
  ),
  fc.string({ minLength: 300, maxLength: 5000 }),
  // #16.8/#16.16: lone surrogates and control or bidi characters, alone or inside ordinary text.
  fc
    .tuple(fc.string({ maxLength: 8 }), fc.constantFrom('\ud800', '\udfff', '\udbff', '\udc00x'), fc.string({ maxLength: 8 }))
    .map((parts) => parts.join('')),
  fc.string({
    unit: fc.constantFrom(
      ...Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)),
      '\u007f',
      '\u0085',
      '\u202e',
      '\u2066',
      '\ufeff',
      'a',
      '@',
    ),
    maxLength: 24,
  }),
);

/** #16.6: a value nested past the parser's depth cap (arrays, objects or both), anywhere a body has a value. */
const deeplyNested = fc.tuple(fc.integer({ min: 33, max: 2000 }), fc.constantFrom('array', 'object', 'mixed')).map(([depth, shape]) => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i += 1) value = shape === 'array' || (shape === 'mixed' && i % 2 === 0) ? [value] : { a: value };
  return value;
});

/** encodeURIComponent throws on a lone surrogate: send the (invalid) UTF-8 bytes of one instead, hostile too. */
const encodeSegment = (s: string): string => {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80';
  }
};

const wrongTyped = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.anything(), { maxLength: 5 }),
  fc.object({ maxDepth: 2 }),
  hostileString,
  deeplyNested,
);

/** Bodies shaped like the real ones but with wrong values, plus anything at all. */
const hostileBody = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  deeplyNested,
  fc.record(
    {
      profileId: wrongTyped,
      accountId: wrongTyped,
      accountType: wrongTyped,
      displayName: wrongTyped,
      email: wrongTyped,
      learnProfileId: wrongTyped,
      sourceProfileId: wrongTyped,
      certificationCode: wrongTyped,
      earnedAt: wrongTyped,
      passed: wrongTyped,
      score: wrongTyped,
      language: wrongTyped,
      policy: wrongTyped,
      effectiveFrom: wrongTyped,
      now: wrongTyped,
      asOf: wrongTyped,
      reason: wrongTyped,
      until: wrongTyped,
      visibility: wrongTyped,
      extra: wrongTyped,
    },
    { requiredKeys: [] },
  ),
);

const pathSegment = fc.oneof(
  fc.constantFrom('fz-1', 'azure-fundamentals', 'nobody'),
  hostileString.map(encodeSegment),
  hostileString.filter((s) => /^[\x21-\x7e]*$/.test(s) && !s.includes('/') && !s.includes('?') && !s.includes('#')),
);

const expectProblemCode = (res: Response, status: number, code: string): void => {
  expect({ status: res.status, code: (res.body as { code?: string }).code }).toEqual({ status, code });
};

describe('hostile input at every endpoint', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApp({ clockStart: '2026-01-01T00:00:00Z' });
    await h.http
      .post('/certification-profiles')
      .set('Authorization', `Bearer ${h.token(['exam-system'])}`)
      .send({ profileId: 'fz-1', accountId: 'acc-fz', accountType: 'personal', displayName: 'F', email: 'f@example.com' })
      .expect(201);
    await h.http
      .post('/certification-profiles/fz-1/certifications')
      .set('Authorization', `Bearer ${h.token(['exam-system'])}`)
      .send({ certificationCode: 'azure-fundamentals' })
      .expect(201);
  }, 60_000);
  afterAll(async () => h.close(), 60_000);

  const checkAnswer = async (res: Response, before: number): Promise<void> => {
    expect(res.status).toBeLessThan(500);
    if (res.status >= 400) {
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(typeof (res.body as { code?: unknown }).code).toBe('string');
      expect(await h.store.headPosition()).toBe(before);
    }
  };

  it('API.md errors, #16.6/#16.8: malformed bodies and query strings (deep nesting, lone surrogates and control characters included) never cause a 5xx, and refusals store nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ENDPOINTS),
        pathSegment,
        pathSegment,
        hostileBody,
        fc.dictionary(fc.constantFrom('consistentWith', 'withinDays', 'page', 'pageSize', 'from', 'to', 'download', 'x'), hostileString, {
          maxKeys: 3,
        }),
        async (endpoint, id, code, body, query) => {
          const before = await h.store.headPosition();
          const path = endpoint.path(id, code);
          const qs = new URLSearchParams(query).toString();
          const url = qs ? `${path}?${qs}` : path;
          const request = endpoint.method === 'get' ? h.http.get(url) : h.http.post(url);
          request.set('Authorization', `Bearer ${h.token(endpoint.roles)}`);
          // Serialized here: any JSON value, including bare numbers and strings, goes over the wire as JSON text.
          const json = JSON.stringify(body);
          const res = endpoint.method === 'post' ? await request.set('Content-Type', 'application/json').send(json ?? '') : await request;
          await checkAnswer(res, before);
        },
      ),
      { numRuns: 400 },
    );
  }, 120_000);

  it('#13.5: the public endpoints (verification, status lists, did.json) answer hostile ids and Accept headers with 200 or one 404, never a 5xx', async () => {
    const notFound = await h.http.get('/verify/AAAAAAAAAAAAAAAAAAAAAA').set('Accept', 'application/json');
    expectProblemCode(notFound, 404, 'VERIFICATION_NOT_FOUND');
    // #26.6 (R79): a client that prefers HTML gets the one not-found page instead of the problem.
    const notFoundPage = await h.http.get('/verify/AAAAAAAAAAAAAAAAAAAAAA').set('Accept', 'text/html');
    expect(notFoundPage.status).toBe(404);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/verify/', '/credentials/status/', '/.well-known/did.json?x='),
        pathSegment,
        fc.constantFrom('application/json', 'text/html', '*/*', 'application/xml', 'text/html;q=0.1, application/json;q=0.9', ''),
        async (prefix, segment, accept) => {
          const before = await h.store.headPosition();
          const req = h.http.get(`${prefix}${segment}`);
          const res = await (accept ? req.set('Accept', accept) : req);
          if (prefix === '/verify/' && res.status === 404 && res.headers['content-type']?.startsWith('text/html')) {
            expect(res.text).toBe(notFoundPage.text);
            expect(await h.store.headPosition()).toBe(before);
          } else await checkAnswer(res, before);
          expect([200, 400, 404, 406]).toContain(res.status);
          // No enumeration: every miss of a verification id answers the same body; a path that is no id at all (empty, a
          // backslash the client turns into '/') is the router's generic 404, the same for any unknown route.
          if (prefix === '/verify/' && res.status === 404 && res.headers['content-type']?.includes('json')) {
            const code = (res.body as { code?: string }).code;
            expect(['VERIFICATION_NOT_FOUND', 'NOT_FOUND']).toContain(code);
            if (code === 'VERIFICATION_NOT_FOUND') expect(res.body).toEqual(notFound.body);
          }
        },
      ),
      { numRuns: 200 },
    );
  }, 120_000);

  it('invalid tokens of every kind are a 401 problem at every endpoint', async () => {
    const badTokens = fc.oneof(
      // Only what an HTTP header can carry: Node's client refuses the rest before it leaves.
      hostileString.filter((s) => /^[\x20-\x7e]*$/.test(s)),
      fc.constant(signDevelopmentToken({ sub: 'x', roles: ['admin'] }, 'wrong-secret-wrong-secret-wrong-secret')),
      fc.constant(await signExactly({ sub: 'x', roles: ['admin'], exp: 1 }, TEST_SECRET)),
      fc.constant(signDevelopmentToken({ sub: 'x', roles: ['overlord'] }, TEST_SECRET)),
      fc.constant(await signExactly({ roles: ['admin'], exp: Math.floor(Date.now() / 1000) + 3600 }, TEST_SECRET)),
      fc.constant(
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x","roles":["admin"]}').toString('base64url')}.`,
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ENDPOINTS), badTokens, async (endpoint, token) => {
        const before = await h.store.headPosition();
        const request =
          endpoint.method === 'get'
            ? h.http.get(endpoint.path('fz-1', 'azure-fundamentals'))
            : h.http.post(endpoint.path('fz-1', 'azure-fundamentals'));
        const res = await request.set('Authorization', `Bearer ${token}`).send({});
        await checkAnswer(res, before);
        expect([400, 401]).toContain(res.status);
      }),
      { numRuns: 150 },
    );
  }, 60_000);

  it('bodies over BODY_LIMIT are a 413 problem; broken JSON and the wrong content type are 400s', async () => {
    const before = await h.store.headPosition();
    const token = `Bearer ${h.token(['exam-system'])}`;
    const huge = await h.http
      .post('/certification-profiles')
      .set('Authorization', token)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ displayName: 'x'.repeat(200_000) }));
    expect(huge.status).toBe(413);
    await checkAnswer(huge, before);
    for (const raw of ['{', '[1,2', '{"a":}', 'null', '"string"', '\u0000']) {
      const res = await h.http
        .post('/certification-profiles')
        .set('Authorization', token)
        .set('Content-Type', 'application/json')
        .send(raw);
      expect(res.status).toBe(400);
      await checkAnswer(res, before);
    }
    const text = await h.http
      .post('/certification-profiles')
      .set('Authorization', token)
      .set('Content-Type', 'text/plain')
      .send('profileId=x');
    expect(text.status).toBe(400);
    await checkAnswer(text, before);
  });

  const POSTS = ENDPOINTS.filter((endpoint) => endpoint.method === 'post');
  const postRaw = (endpoint: Endpoint, raw: string) =>
    h.http
      .post(endpoint.path('fz-1', 'azure-fundamentals'))
      .set('Authorization', `Bearer ${h.token(endpoint.roles)}`)
      .set('Content-Type', 'application/json')
      .send(raw);

  it('#16.6: deeply nested JSON at every validated POST is a 400 VALIDATION_FAILED at parse time, storing nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...POSTS),
        fc.integer({ min: 33, max: 5000 }),
        fc.constantFrom('[', '{"a":'),
        fc.constantFrom('profileId', 'policy', 'learnProfileId', 'x'),
        async (endpoint, depth, opener, field) => {
          const before = await h.store.headPosition();
          const closer = opener === '[' ? ']' : '}';
          const raw = `{"${field}":${opener.repeat(depth)}1${closer.repeat(depth)}}`;
          const res = await postRaw(endpoint, raw);
          await checkAnswer(res, before);
          expect({ status: res.status, code: (res.body as { code?: string }).code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);

  it('#16.8: a lone surrogate in any string (an e-mail, a name, a key) is a 400 at every POST, storing nothing', async () => {
    const lone = fc.constantFrom('\\ud800', '\\udfff', '\\udbff\\u0041', 'a\\udc00');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...POSTS),
        lone,
        fc.constantFrom('email', 'displayName', 'profileId', 'reason'),
        fc.boolean(),
        async (endpoint, surrogate, field, inKey) => {
          const before = await h.store.headPosition();
          const text = `a${surrogate}b@example.com`;
          const raw = inKey ? `{"${text}":"x"}` : `{"${field}":"${text}"}`;
          const res = await postRaw(endpoint, raw);
          await checkAnswer(res, before);
          expect(res.status).toBe(400);
        },
      ),
      { numRuns: 60 },
    );
    // The finding itself: a profile created with a lone surrogate in its e-mail.
    const before = await h.store.headPosition();
    const res = await postRaw(
      ENDPOINTS[0] as Endpoint,
      '{"profileId":"sur-1","accountId":"acc-sur","accountType":"personal","displayName":"S","email":"a\\ud800b@example.com"}',
    );
    expectProblemCode(res, 400, 'VALIDATION_FAILED');
    expect(await h.store.headPosition()).toBe(before);
  }, 120_000);

  it('#16.6/#16.8: control characters anywhere in a body never cause a 5xx and refusals store nothing', async () => {
    const control = fc.string({
      unit: fc.constantFrom(...Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)), '\u007f', '\u202e', '\u2066', 'a'),
      maxLength: 20,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...POSTS),
        control,
        fc.constantFrom('email', 'displayName', 'profileId', 'reason', 'language'),
        async (endpoint, text, field) => {
          const before = await h.store.headPosition();
          const res = await postRaw(endpoint, JSON.stringify({ [field]: text }));
          await checkAnswer(res, before);
        },
      ),
      { numRuns: 80 },
    );
  }, 120_000);

  it('R45 (#22.10): control, bidi and unpaired-surrogate characters in any stored text field (reasons, names, versions, urls, policy strings) are 400 VALIDATION_FAILED naming the field, nothing stored', async () => {
    const AF = 'azure-fundamentals';
    // Each refused body as raw JSON text, so a lone surrogate goes over the wire as the escape a client would send.
    const fields: { name: string; path: string; roles: Parameters<Harness['token']>[0]; body: (text: string) => string; field: string }[] =
      [
        ...(['revocation', 'suspension', 'reinstatement'] as const).map((decision) => ({
          name: decision,
          path: `/certification-profiles/fz-1/certifications/${AF}/${decision}`,
          roles: ['admin'] as Parameters<Harness['token']>[0],
          body: (text: string) => `{"reason":"${text}"}`,
          field: 'reason',
        })),
        {
          name: 'override request',
          path: '/admin/override-requests',
          roles: ['admin'],
          body: (text) => `{"kind":"revoke","target":{"profileId":"fz-1","certificationCode":"${AF}"},"params":{},"reason":"${text}"}`,
          field: 'reason',
        },
        {
          name: 'erasure',
          path: '/certification-profiles/fz-1/personal-data-erasure',
          roles: ['support'],
          body: (text) => `{"reason":"${text}"}`,
          field: 'reason',
        },
        {
          name: 'link on behalf',
          path: '/certification-profiles/fz-1/learn-profile-link',
          roles: ['support'],
          body: (text) => `{"learnProfileId":"l-fz","accountId":"acc-fz","accountType":"personal","reason":"${text}"}`,
          field: 'reason',
        },
        {
          name: 'policy withdrawal',
          path: '/admin/policies/v9/withdrawal',
          roles: ['admin'],
          body: (text) => `{"reason":"${text}"}`,
          field: 'reason',
        },
        {
          name: 'profile name',
          path: '/certification-profiles',
          roles: ['exam-system'],
          body: (text) =>
            `{"profileId":"fz-2","accountId":"acc-fz2","accountType":"personal","displayName":"${text}","email":"f2@example.com"}`,
          field: 'displayName',
        },
        {
          name: 'webhook url',
          path: '/admin/webhooks',
          roles: ['admin'],
          body: (text) => `{"url":"https://example.com/${text}","events":["certification.earned"]}`,
          field: 'url',
        },
        {
          name: 'policy version',
          path: '/admin/policies',
          roles: ['admin'],
          body: (text) =>
            `{"policy":{"version":"${text}","validity":{"associate":"P1Y","expert":"P1Y","specialty":"P1Y","fundamentals":null},"window":{"beforeExpiry":"P6M"},"extension":"P1Y","retakes":{"immediateAttempts":2,"cooldown":"PT24H"}},"effectiveFrom":"2026-02-01T00:00:00Z"}`,
          field: 'policy.version',
        },
      ];
    const texts: [string, string][] = [
      ['NUL', 'ok\\u0000reason'],
      ['an escape (ANSI colour)', 'ok \\u001b[31mreason'],
      ['a line feed', 'two\\nlines'],
      ['C1 NEL', 'ok\\u0085reason'],
      ['a right-to-left override', 'ok \\u202eNOSAER'],
      ['an isolate', 'ok \\u2066reason\\u2069'],
      ['a line separator', 'ok\\u2028reason'],
      ['a lone high surrogate', 'ok\\ud800reason'],
      ['a lone low surrogate', 'ok\\udc00reason'],
    ];
    for (const target of fields) {
      for (const [what, text] of texts) {
        const before = await h.store.headPosition();
        const res = await h.http
          .post(target.path)
          .set('Authorization', `Bearer ${h.token(target.roles)}`)
          .set('Content-Type', 'application/json')
          .send(target.body(text));
        expect({ target: target.name, what, status: res.status, code: (res.body as { code?: string }).code }).toEqual({
          target: target.name,
          what,
          status: 400,
          code: 'VALIDATION_FAILED',
        });
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        if (!what.includes('surrogate')) {
          // Lone surrogates are refused while parsing (#16.8), before a field is known; the others name their field.
          expect((res.body as { errors?: { field: string }[] }).errors?.map((e) => e.field)).toContain(target.field);
        }
        expect(await h.store.headPosition()).toBe(before);
      }
    }
    // Ordinary text in any script, with joiners and emoji, still passes.
    const ok = await h.http
      .post(`/certification-profiles/fz-1/certifications/${AF}/suspension`)
      .set('Authorization', `Bearer ${h.token(['admin'])}`)
      .send({ reason: 'Prüfung 審查 — 👩‍💻 case #12' });
    expect(ok.status).toBe(200);
    await h.http
      .post(`/certification-profiles/fz-1/certifications/${AF}/reinstatement`)
      .set('Authorization', `Bearer ${h.token(['admin'])}`)
      .send({ reason: 'suspension ended' })
      .expect(200);
  }, 120_000);

  it('#16.7: any duration at any policy field is adopted only within bounds, else a 4xx storing nothing; earnings never 500 after', async () => {
    const shipped = {
      validity: { associate: 'P1Y', expert: 'P1Y', specialty: 'P1Y', fundamentals: null },
      window: { beforeExpiry: 'P6M' },
      extension: 'P1Y',
      retakes: { immediateAttempts: 2, cooldown: 'PT24H' },
    };
    const duration = fc.oneof(
      fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.constantFrom('Y', 'M', 'W', 'D')).map(([n, unit]) => `P${n}${unit}`),
      fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.constantFrom('H', 'M', 'S')).map(([n, unit]) => `PT${n}${unit}`),
      fc.constantFrom('P999999999Y', `P${'9'.repeat(400)}Y`, 'P10Y', 'P3M', 'PT0S', null),
    );
    const field = fc.constantFrom('associate', 'expert', 'specialty', 'fundamentals', 'window', 'extension', 'cooldown');
    let n = 0;
    await fc.assert(
      fc.asyncProperty(field, duration, async (where, value) => {
        n += 1;
        const policy = JSON.parse(JSON.stringify(shipped)) as typeof shipped & Record<string, unknown>;
        if (where === 'window') policy.window = { beforeExpiry: value as string };
        else if (where === 'extension') policy.extension = value as string;
        else if (where === 'cooldown') policy.retakes = { immediateAttempts: 2, cooldown: value as string };
        else policy.validity = { ...policy.validity, [where]: value };
        const before = await h.store.headPosition();
        const res = await h.http
          .post('/admin/policies')
          .set('Authorization', `Bearer ${h.token(['admin'])}`)
          .send({ policy: { ...policy, version: `fuzz-${n}` }, effectiveFrom: h.clock.now().toISOString() });
        await checkAnswer(res, before);
        expect([201, 400, 422]).toContain(res.status);
        // Whatever was adopted is in force now: a new holder's earning under it is stored, never a 5xx.
        await h.http
          .post('/certification-profiles')
          .set('Authorization', `Bearer ${h.token(['exam-system'])}`)
          .send({ profileId: `fzp-${n}`, accountId: `acc-fzp-${n}`, accountType: 'personal', displayName: 'P', email: 'p@example.com' })
          .expect(201);
        const earned = await h.http
          .post(`/certification-profiles/fzp-${n}/certifications`)
          .set('Authorization', `Bearer ${h.token(['exam-system'])}`)
          .send({ certificationCode: 'azure-developer-associate' });
        expect(earned.status).toBe(201);
      }),
      { numRuns: 80 },
    );
  }, 120_000);

  it('unknown routes and methods are problem+json too', async () => {
    const before = await h.store.headPosition();
    for (const res of [
      await h.http.get('/nowhere').set('Authorization', `Bearer ${h.token(['admin'])}`),
      await h.http.delete('/certification-profiles/fz-1').set('Authorization', `Bearer ${h.token(['admin'])}`),
      await h.http.get('/certification-profiles/%E0%A4%A/dashboard').set('Authorization', `Bearer ${h.token(['admin'])}`),
    ]) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      await checkAnswer(res, before);
    }
  });
});

describe('rate limit per token', () => {
  it('answers 429 problem+json with Retry-After past RATE_LIMIT_PER_MINUTE, per subject', async () => {
    const h = await startApp({ env: { RATE_LIMIT_PER_MINUTE: '5' } });
    try {
      const b = `Bearer ${h.token(['admin'], { sub: 'caller-b' })}`;
      // The limiter counts in fixed wall-clock minutes: a run that straddled a minute's end is done again by a fresh
      // subject, so the outcome never depends on how fast the requests went.
      let responses: Response[] = [];
      for (let run = 0; ; run += 1) {
        const minute = Math.floor(Date.now() / 60_000);
        const a = `Bearer ${h.token(['admin'], { sub: `caller-a-${run}` })}`;
        responses = [];
        for (let i = 0; i < 8; i += 1) responses.push(await h.http.get('/reports/summary').set('Authorization', a));
        if (Math.floor(Date.now() / 60_000) === minute) break;
      }
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
      const limited = responses[7] as Response;
      expect(limited.headers['content-type']).toMatch(/problem\+json/);
      expect(limited.body).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect((await h.http.get('/reports/summary').set('Authorization', b)).status).toBe(200);
    } finally {
      await h.close();
    }
  });
});
